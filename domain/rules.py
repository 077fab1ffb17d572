"""Automation rules as versioned data: the pool rules and the claim policy an admin writes.

Each kind of rule is one aggregate (a deterministic id per kind); writing it again is an event,
so its version is the aggregate's and the rules in force at any moment are in the log. A pool
rule keeps the moment it came into force as it is (`since`): a rule that changes applies from
that moment on, never backwards, and a rule left as it was keeps its moment.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import SalesAggregate
from domain.context import CommandContext
from domain.errors import InvalidValue, NotAllowedNow

RULE_KINDS = ("pool", "claims", "assignment", "nurture", "alerts")
MATCH_FIELDS = ("source", "region", "industry", "product_line")
MAX_POOL_RULES = 100
MAX_DAYS = 3650


def rule_book_id(kind: str) -> UUID:
    """One rule book per kind of rule: a deterministic id is the uniqueness index."""
    return uuid5(NAMESPACE_URL, f"salesledger:rules:{kind}")


@dataclass(frozen=True)
class PoolRule:
    """When a held lead goes back to the pool: after `idle_days` without a follow-up (counted
    from when the rep got it or from the last follow-up), or after `no_opportunity_days`
    without becoming an opportunity; its holder is warned `warn_days` before. It applies to
    the leads of its team's reps (any team when None) of its tier and source (any when None)."""

    name: str
    team: str | None = None
    tier: str | None = None
    source: str | None = None
    idle_days: int = 7
    no_opportunity_days: int | None = None
    warn_days: int = 1
    since: datetime | None = None  # None: in force since before anything happened

    def matches(self, team: str | None, tier: str | None, source: str | None) -> bool:
        return all(
            wanted is None or wanted == actual
            for wanted, actual in ((self.team, team), (self.tier, tier), (self.source, source))
        )

    def checked(self) -> PoolRule:
        name = (self.name or "").strip()
        if not name or len(name) > 100:
            raise InvalidValue("a rule's name is 1 to 100 characters", field="rules.name")
        _days(self.idle_days, "rules.idle_days", minimum=1)
        if self.no_opportunity_days is not None:
            _days(self.no_opportunity_days, "rules.no_opportunity_days", minimum=1)
        _days(self.warn_days, "rules.warn_days", minimum=0)
        if self.warn_days >= self.idle_days:
            raise InvalidValue("warn_days must be fewer than idle_days", field="rules.warn_days")
        return replace(self, name=name)

    def as_data(self) -> dict[str, Any]:
        data = asdict(self)
        data["since"] = None if self.since is None else self.since.isoformat()
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> PoolRule:
        since = data.get("since")
        return cls(**{**data, "since": None if since is None else datetime.fromisoformat(since)})


@dataclass(frozen=True)
class PoolRules:
    """The pool rules in force, in order: the first that matches a lead applies to it."""

    version: int
    rules: tuple[PoolRule, ...]

    def rule_for(self, team: str | None, tier: str | None, source: str | None) -> PoolRule | None:
        return next((r for r in self.rules if r.matches(team, tier, source)), None)


# Before an admin writes any: every held lead returns after 7 days without a follow-up.
DEFAULT_POOL_RULES = PoolRules(version=0, rules=(PoolRule("default"),))


@dataclass(frozen=True)
class ClaimPolicy:
    """How many leads a rep may hold and claim a day, and how long before a rep may claim
    again a lead that went back to the pool from them."""

    max_held: int = 50
    max_per_day: int | None = None
    reclaim_cooldown_days: int = 3
    version: int = 0

    def checked(self) -> ClaimPolicy:
        _days(self.max_held, "max_held", minimum=1, maximum=100_000)
        if self.max_per_day is not None:
            _days(self.max_per_day, "max_per_day", minimum=1, maximum=100_000)
        _days(self.reclaim_cooldown_days, "reclaim_cooldown_days", minimum=0)
        return self

    def as_data(self) -> dict[str, Any]:
        data = asdict(self)
        del data["version"]
        return data


@dataclass(frozen=True)
class AssignmentRule:
    """A captured lead that matches every given field of `match` goes to `rep`, or round robin
    to the active reps of `team` below their limits (only those tagged `tag`, if given)."""

    name: str
    match: dict[str, str]
    team: str | None = None
    rep: str | None = None
    tag: str | None = None

    def matches(self, lead: dict[str, str | None]) -> bool:
        return all(lead.get(key) == value for key, value in self.match.items())

    def checked(self) -> AssignmentRule:
        name = (self.name or "").strip()
        if not name or len(name) > 100:
            raise InvalidValue("a rule's name is 1 to 100 characters", field="rules.name")
        unknown = set(self.match) - set(MATCH_FIELDS)
        if unknown:
            raise InvalidValue(f"a rule cannot match on {sorted(unknown)[0]}", "rules.match")
        if (self.team is None) == (self.rep is None):
            raise InvalidValue("a rule sends leads to a team or to a rep", field="rules.team")
        if self.tag is not None and self.team is None:
            raise InvalidValue("a tag chooses among a team's reps", field="rules.tag")
        return replace(self, name=name)

    def as_data(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AssignmentRules:
    """The assignment rules in force, in order: the first that matches a lead sends it."""

    version: int
    rules: tuple[AssignmentRule, ...]

    def rule_for(self, lead: dict[str, str | None]) -> AssignmentRule | None:
        return next((r for r in self.rules if r.matches(lead)), None)


@dataclass(frozen=True)
class NurturePolicy:
    """Whether a lead scored low goes to nurture by itself, and how long before a nurtured
    lead is due for re-evaluation (back to the pool to be scored again)."""

    low_to_nurture: bool = False
    review_after_days: int = 90
    version: int = 0

    def checked(self) -> NurturePolicy:
        _days(self.review_after_days, "review_after_days", minimum=1)
        return self

    def as_data(self) -> dict[str, Any]:
        return {"low_to_nurture": self.low_to_nurture,
                "review_after_days": self.review_after_days}  # fmt: skip


@dataclass(frozen=True)
class AlertPolicy:
    """When the manager hears about a rep with no follow-up for days, and a high-value lead
    nobody updated for days."""

    quiet_rep_days: int = 3
    untouched_lead_days: int = 3
    version: int = 0

    def checked(self) -> AlertPolicy:
        _days(self.quiet_rep_days, "quiet_rep_days", minimum=1)
        _days(self.untouched_lead_days, "untouched_lead_days", minimum=1)
        return self

    def as_data(self) -> dict[str, Any]:
        return {"quiet_rep_days": self.quiet_rep_days,
                "untouched_lead_days": self.untouched_lead_days}  # fmt: skip


class RuleBook(SalesAggregate):
    """One kind of rule (`pool`, `claims`) as an admin last wrote it."""

    class Written(SalesAggregate.Created):
        kind: str
        definition: dict[str, Any]

        def apply(self, book: RuleBook) -> None:
            book.kind = self.kind
            book.definition = self.definition

    class Rewritten(SalesAggregate.Event):
        kind: str
        definition: dict[str, Any]

        def apply(self, book: RuleBook) -> None:
            book.definition = self.definition

    if TYPE_CHECKING:
        kind: str
        definition: dict[str, Any]

    @classmethod
    def write(cls, ctx: CommandContext, kind: str, definition: dict[str, Any]) -> RuleBook:
        return cls._open(cls.Written, ctx, id=rule_book_id(kind), kind=kind, definition=definition)

    def rewrite(self, ctx: CommandContext, definition: dict[str, Any]) -> None:
        if definition == self.definition:
            raise NotAllowedNow(f"the {self.kind} rules are already these", field="rules")
        self._record(self.Rewritten, ctx, kind=self.kind, definition=definition)


def pool_definition(rules: list[PoolRule], in_force: PoolRules, at: datetime) -> dict[str, Any]:
    """The pool rules to record: each checked, and in force from `at` unless it is exactly a
    rule in force already (then it keeps its moment: an untouched rule does not restart)."""
    if len(rules) > MAX_POOL_RULES:
        raise InvalidValue(f"at most {MAX_POOL_RULES} pool rules", field="rules")
    names = [r.name.strip() for r in rules]
    if len(set(names)) != len(names):
        raise InvalidValue("each pool rule needs a name of its own", field="rules.name")
    kept = {replace(r, since=None): r.since for r in in_force.rules}
    written = []
    for rule in rules:
        rule = replace(rule.checked(), since=None)
        written.append(replace(rule, since=kept.get(rule, at)))
    return {"rules": [r.as_data() for r in written]}


def assignment_definition(rules: list[AssignmentRule]) -> dict[str, Any]:
    if len(rules) > MAX_POOL_RULES:
        raise InvalidValue(f"at most {MAX_POOL_RULES} assignment rules", field="rules")
    checked = [r.checked() for r in rules]
    if len({r.name for r in checked}) != len(checked):
        raise InvalidValue("each assignment rule needs a name of its own", field="rules.name")
    return {"rules": [r.as_data() for r in checked]}


def assignment_rules_of(book: RuleBook | None) -> AssignmentRules:
    if book is None:
        return AssignmentRules(version=0, rules=())
    rules = tuple(AssignmentRule(**r) for r in book.definition["rules"])
    return AssignmentRules(version=book.version, rules=rules)


def pool_rules_of(book: RuleBook | None) -> PoolRules:
    if book is None:
        return DEFAULT_POOL_RULES
    rules = tuple(PoolRule.from_data(r) for r in book.definition["rules"])
    return PoolRules(version=book.version, rules=rules)


def claim_policy_of(book: RuleBook | None, default_max_held: int) -> ClaimPolicy:
    if book is None:
        return ClaimPolicy(max_held=default_max_held)
    return ClaimPolicy(**book.definition, version=book.version)


def _days(value: int, field: str, *, minimum: int, maximum: int = MAX_DAYS) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise InvalidValue(f"{field} must be a whole number from {minimum} to {maximum}", field)
