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
    model_validator,
)

from domain.followups import ContactMethod
from domain.scoring import Authority, Tier

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab and newlines are text
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def _no_control_characters(text: str) -> str:
    if CONTROL.search(text):
        raise ValueError("must not contain control characters")
    return text


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
    """Times are kept in UTC (DESIGN.md §7), between 1970 and 2200."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must be between 1970 and 2200") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError("must be between 1970 and 2200")
    return utc


UtcTime = Annotated[
    AwareDatetime, BeforeValidator(_iso_time_only), AfterValidator(_in_utc_within_range)
]
Text = Annotated[str, AfterValidator(_no_control_characters)]
Name = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=4000)]
Reason = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
UserName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Key = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[\w.-]+$")
]


DECIMAL_TEXT = re.compile(r"-?\d+(\.\d+)?")


def _json_number(value: Any) -> Any:
    """Money is a JSON number, or decimal text ("150000.50": exact, whatever the client's
    floats); padded or other text (" 12 ", "1e5x") and booleans are refused, not guessed."""
    if isinstance(value, bool) or (isinstance(value, str) and not DECIMAL_TEXT.fullmatch(value)):
        raise ValueError("must be a number")
    return value


MONEY_LIMIT = 10**13  # below it, with cents, a JSON number reads back exactly (15 digits)
Money = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    Field(ge=0, lt=MONEY_LIMIT, decimal_places=2),
    AfterValidator(lambda amount: amount + 0),  # -0 is 0
]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.\w+$")
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^\+?[\d\s().-]{3,40}$")
]


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
    timeline_days: Annotated[int, Field(strict=True, ge=0, le=3650)]


class AssignLead(Body):
    rep: UserName


class WithReason(Body):
    reason: Reason


class OptionalReason(Body):
    reason: Reason | None = None


class FollowUpIn(Body):
    method: ContactMethod
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
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

    model_config = ConfigDict(extra="forbid", populate_by_name=False)

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
    lead_id: str | None = None
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
    key: Key
    name: Name | None = None
    probability: Decimal = Field(ge=0, le=1)
    expected_days: Annotated[int, Field(strict=True, ge=1, le=365)] | None = None


class DefinePipeline(Body):
    stages: list[StageIn] = Field(min_length=1, max_length=30)


UserName = Annotated[str, Field(min_length=1, max_length=64)]


class SetTarget(Body):
    """A year's target: the company's amount, optionally by month (YYYY-MM), team and rep. A
    manager sends only their team's and reps' amounts, into the year's existing target."""

    company: Money | None = None
    by_month: dict[str, Money] | None = Field(None, max_length=12)
    by_team: dict[UserName, Money] | None = Field(None, max_length=1000)
    by_rep: dict[UserName, Money] | None = Field(None, max_length=10_000)


Days = Annotated[int, Field(strict=True, ge=1, le=3650)]


class PoolRuleIn(Body):
    """A held lead of the team's reps (any team if absent), of the tier and source (any if
    absent), returns to the pool after `idle_days` without a follow-up, or `no_opportunity_days`
    without becoming an opportunity; its holder is warned `warn_days` before."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    team: UserName | None = None
    tier: Tier | None = None
    source: Name | None = None
    idle_days: Days = 7
    no_opportunity_days: Days | None = None
    warn_days: Annotated[int, Field(strict=True, ge=0, le=3650)] = 1


class PoolRulesIn(Body):
    rules: list[PoolRuleIn] = Field(max_length=100)


class ClaimPolicyIn(Body):
    max_held: Annotated[int, Field(strict=True, ge=1, le=100_000)] = 50
    max_per_day: Annotated[int, Field(strict=True, ge=1, le=100_000)] | None = None
    reclaim_cooldown_days: Annotated[int, Field(strict=True, ge=0, le=3650)] = 3


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

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    match: AssignmentMatch = AssignmentMatch()
    team: UserName | None = None
    rep: UserName | None = None
    tag: Annotated[str, StringConstraints(pattern=r"^[\w.-]{1,32}$")] | None = None


class AssignmentRulesIn(Body):
    rules: list[AssignmentRuleIn] = Field(max_length=100)


class TagsIn(Body):
    tags: list[Annotated[str, StringConstraints(pattern=r"^[\w.-]{1,32}$")]] = Field(max_length=20)


class NurturePolicyIn(Body):
    low_to_nurture: Annotated[bool, Field(strict=True)] = False
    review_after_days: Annotated[int, Field(strict=True, ge=1, le=3650)] = 90


class AlertPolicyIn(Body):
    quiet_rep_days: Annotated[int, Field(strict=True, ge=1, le=3650)] = 3
    untouched_lead_days: Annotated[int, Field(strict=True, ge=1, le=3650)] = 3
