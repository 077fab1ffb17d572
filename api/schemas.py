"""Request bodies of the HTTP contract v1 (DESIGN.md §7), with the limits each field accepts."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from domain.followups import ContactMethod
from domain.scoring import Authority, Tier
from domain.stages import CLOSED_STAGES

# The document's patterns spell their characters out: other engines read them (a generator's,
# a client's), and their \s and \d are not Python's.
CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"  # tab and newlines are text
CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
# What str.strip() takes off a text, less the control characters refused anyway.
BLANKS = r"\t\n\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
WHITESPACE = BLANKS + r"\x0b\x0c\x1c-\x1f"  # Python's \s
TEXT_PATTERN = f"^[^{CONTROL_CHARACTERS}]*$"
FILLED_PATTERN = (
    f"^[^{CONTROL_CHARACTERS}]*[^{CONTROL_CHARACTERS}{BLANKS}][^{CONTROL_CHARACTERS}]*$"
)
EARLIEST_YEAR, LATEST_YEAR = 1970, 2199
YEAR_PATTERN = "(19[7-9][0-9]|2[01][0-9][0-9])"  # EARLIEST_YEAR to LATEST_YEAR


def _no_control_characters(text: str) -> str:
    if CONTROL.search(text):
        raise ValueError("must not contain control characters")
    return text


def _filled(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text


def bounded_text(max_length: int, *, filled: bool) -> Any:
    """Text of at most `max_length` characters as sent, without control characters, kept
    without its surrounding spaces; `filled`: not blank. Its document says exactly that."""
    pattern = FILLED_PATTERN if filled else TEXT_PATTERN
    schema = {"type": "string", "maxLength": max_length, "pattern": pattern}
    checks = [_no_control_characters, *([_filled] if filled else []), str.strip]
    return Annotated[
        str,
        StringConstraints(max_length=max_length),
        *(AfterValidator(check) for check in checks),
        WithJsonSchema(schema | ({"minLength": 1} if filled else {})),
    ]


def _integral(value: Any) -> Any:
    """A JSON integer may be written 12.0 (JSON Schema counts it an integer); a boolean or
    text ("12") stays refused."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def whole(least: int, most: int) -> Any:
    return Annotated[
        int,
        BeforeValidator(_integral),
        Field(strict=True, ge=least, le=most),
        WithJsonSchema({"type": "integer", "minimum": least, "maximum": most}),
    ]


def _iso_time_only(value: Any) -> Any:
    """A time is ISO-8601 text: a bare number (a Unix timestamp) is refused, not guessed."""
    if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
        raise ValueError("must be an ISO-8601 time with its UTC offset, e.g. 2026-12-01T09:00Z")
    return value


def _is_number(text: str) -> bool:
    """Any spelling of a number ("1000001", "1e5", "-4.5e-181", "inf"), which pydantic would
    take for a Unix timestamp."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _in_utc_within_range(value: datetime) -> datetime:
    """Times are kept in UTC (DESIGN.md §7); the year, as written, is between 1970 and 2199
    (a rule its text shows, so the document's pattern states it)."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value.astimezone(UTC)


UtcTime = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_time_only),
    AfterValidator(_in_utc_within_range),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": f"^{YEAR_PATTERN}-"}),
]
Name = bounded_text(200, filled=True)
ShortText = bounded_text(200, filled=False)
LongText = bounded_text(4000, filled=False)
Reason = bounded_text(1000, filled=True)
RuleName = bounded_text(100, filled=True)
UserName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
KEY_PATTERN = r"^[A-Za-z0-9_.-]+$"
Key = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=KEY_PATTERN)]
TAG_PATTERN = r"^[A-Za-z0-9_.-]{1,32}$"
Tag = Annotated[str, StringConstraints(pattern=TAG_PATTERN)]


def _exact_decimal(text_form: re.Pattern[str]) -> Any:
    """A JSON number, or decimal text of `text_form` (exact, whatever the client's floats);
    padded or other text (" 12 ", "1e5x") and booleans are refused, not guessed."""

    def check(value: Any) -> Any:
        if isinstance(value, bool) or (isinstance(value, str) and not text_form.fullmatch(value)):
            raise ValueError("must be a number")
        return value

    return BeforeValidator(check)


MONEY_LIMIT = 10**13  # below it, with cents, a JSON number reads back exactly (15 digits)
MONEY_TEXT = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?")
Money = Annotated[
    Decimal,
    _exact_decimal(MONEY_TEXT),
    Field(ge=0, lt=MONEY_LIMIT, decimal_places=2),
    AfterValidator(lambda amount: amount + 0),  # -0 is 0
    WithJsonSchema({
        "anyOf": [
            {"type": "number", "minimum": 0, "exclusiveMaximum": MONEY_LIMIT, "multipleOf": 0.01},
            {"type": "string", "pattern": f"^{MONEY_TEXT.pattern}$"},
        ],
        "description": "an amount below 10^13 with at most two decimal places, as a JSON "
        "number or as its decimal text (exact)",
    }),
]  # fmt: skip
PROBABILITY_TEXT = re.compile(r"0(\.[0-9]+)?|1(\.0+)?")
Probability = Annotated[
    Decimal,
    _exact_decimal(PROBABILITY_TEXT),
    Field(ge=0, le=1),
    WithJsonSchema({
        "anyOf": [
            {"type": "number", "minimum": 0, "maximum": 1},
            {"type": "string", "pattern": f"^({PROBABILITY_TEXT.pattern})$"},
        ],
    }),
]  # fmt: skip
Email = Annotated[
    str,
    StringConstraints(
        max_length=254, pattern=f"^[^@{WHITESPACE}]+@[^@{WHITESPACE}]+\\.[A-Za-z0-9-]+$"
    ),
]
Phone = Annotated[
    str, StringConstraints(max_length=40, pattern=f"^\\+?[0-9{WHITESPACE}().-]{{3,40}}$")
]


HEX = "[0-9a-fA-F]"
LeadId = Annotated[
    str,
    StringConstraints(pattern=f"^{HEX}{{8}}-{HEX}{{4}}-{HEX}{{4}}-{HEX}{{4}}-{HEX}{{12}}$"),
    Field(json_schema_extra={"format": "uuid"}),
]
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN)]


class Body(BaseModel):
    """Unknown fields are refused, so a misspelt optional field is not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ContactIn(Body):
    name: Name
    title: ShortText | None = None
    phone: Phone | None = None
    email: Email | None = None


class CaptureLead(Body):
    source: Name
    company: Name
    contact: ContactIn
    industry: ShortText | None = None
    region: ShortText | None = None
    budget: Money | None = None
    need: LongText | None = None
    product_line: Key | None = None


class ScoreLead(Body):
    budget: Money
    authority: Authority
    need_clear: Annotated[bool, Field(strict=True)]
    timeline_days: whole(0, 3650)


class AssignLead(Body):
    rep: UserName


class WithReason(Body):
    reason: Reason


class OptionalReason(Body):
    reason: Reason | None = None


class FollowUpIn(Body):
    method: ContactMethod
    summary: bounded_text(4000, filled=True)  # type: ignore[valid-type]
    feedback: LongText | None = None
    next_step: LongText | None = None
    next_follow_up_at: UtcTime | None = None


class ConvertLead(Body):
    name: Name
    amount: Money
    expected_close: date
    product_line: Key | None = None


class Corrections(Body):
    """What each correctable field accepts: the same as at capture (source, company and the
    contact's name may not be emptied)."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=False, json_schema_extra={"minProperties": 1}
    )

    source: Name = None  # type: ignore[assignment]  # absent: unchanged (not validated)
    company: Name = None  # type: ignore[assignment]
    industry: ShortText | None = None
    region: ShortText | None = None
    budget: Money | None = None
    need: LongText | None = None
    contact_name: Name = Field(None, alias="contact.name")  # type: ignore[assignment]
    contact_title: ShortText | None = Field(None, alias="contact.title")
    contact_phone: Phone | None = Field(None, alias="contact.phone")
    contact_email: Email | None = Field(None, alias="contact.email")

    @model_validator(mode="after")
    def _some(self) -> Corrections:
        if not self.model_fields_set:
            raise ValueError("name at least one field to correct")
        return self

    def given(self) -> dict[str, Any]:
        """The fields sent, by their names in the contract (`contact.phone`, …)."""
        return self.model_dump(by_alias=True, exclude_unset=True)


class CorrectLead(Body):
    changes: Corrections


class OpenOpportunity(Body):
    name: Name
    customer: Name
    amount: Money
    expected_close: date
    product_line: Key | None = None
    owner: UserName | None = None
    lead_id: LeadId | None = None
    currency: Annotated[str, StringConstraints(min_length=3, max_length=3)] | None = None


class MoveStage(Body):
    stage: Key


class ChangeAmount(Body):
    amount: Money


class ChangeCloseDate(Body):
    expected_close: date


class Reassign(Body):
    rep: UserName


class Win(Body):
    amount: Money | None = None


class Lose(Body):
    reason: Reason
    competitor: ShortText | None = None


class StageIn(Body):
    key: Annotated[Key, Field(json_schema_extra={"not": {"enum": list(CLOSED_STAGES)}})]
    name: Name | None = None
    probability: Probability
    expected_days: whole(1, 365) | None = None


class DefinePipeline(Body):
    stages: list[StageIn] = Field(min_length=1, max_length=30)


class SetTarget(Body):
    """A year's target: the company's amount, optionally by month (YYYY-MM), team and rep. A
    manager sends only their team's and reps' amounts, into the year's existing target."""

    company: Money | None = None
    by_month: dict[Month, Money] | None = Field(
        None,
        max_length=12,
        # pydantic gives the keys' pattern as patternProperties, which lets other keys through
        json_schema_extra={"propertyNames": {"pattern": MONTH_PATTERN}},
    )
    by_team: dict[UserName, Money] | None = Field(None, max_length=1000)
    by_rep: dict[UserName, Money] | None = Field(None, max_length=10_000)


Days = whole(1, 3650)


class PoolRuleIn(Body):
    """A held lead of the team's reps (any team if absent), of the tier and source (any if
    absent), returns to the pool after `idle_days` without a follow-up, or `no_opportunity_days`
    without becoming an opportunity; its holder is warned `warn_days` before."""

    name: RuleName
    team: UserName | None = None
    tier: Tier | None = None
    source: Name | None = None
    idle_days: Days = 7
    no_opportunity_days: Days | None = None
    warn_days: whole(0, 3650) = 1


class PoolRulesIn(Body):
    rules: list[PoolRuleIn] = Field(max_length=100)


class ClaimPolicyIn(Body):
    max_held: whole(1, 100_000) = 50
    max_per_day: whole(1, 100_000) | None = None
    reclaim_cooldown_days: whole(0, 3650) = 3


class Deactivate(Body):
    opportunities_to: UserName | None = None


class AssignmentMatch(Body):
    source: Name | None = None
    region: ShortText | None = None
    industry: ShortText | None = None
    product_line: Key | None = None


class AssignmentRuleIn(Body):
    """Leads matching every field of `match` go to `rep`, or round robin among the active reps
    of `team` below their limits (only those tagged `tag`, if given)."""

    name: RuleName
    match: AssignmentMatch = AssignmentMatch()
    team: UserName | None = None
    rep: UserName | None = None
    tag: Tag | None = None


class AssignmentRulesIn(Body):
    rules: list[AssignmentRuleIn] = Field(max_length=100)


class TagsIn(Body):
    tags: list[Tag] = Field(max_length=20)


class NurturePolicyIn(Body):
    low_to_nurture: Annotated[bool, Field(strict=True)] = False
    review_after_days: whole(1, 3650) = 90


class AlertPolicyIn(Body):
    quiet_rep_days: whole(1, 3650) = 3
    untouched_lead_days: whole(1, 3650) = 3
