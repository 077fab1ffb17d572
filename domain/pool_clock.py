"""When a held lead goes back to the pool, and when its holder is warned: a pure function of
the lead's facts and the pool rules in force, shared by the lead's view, the scheduler, its
preview, and the command that returns the lead (which decides on the lead's own state)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.rules import PoolRule, PoolRules

RETURNING_STATUSES = ("open", "qualified")  # converted, nurtured, disqualified: exempt


@dataclass(frozen=True)
class HeldLead:
    """What a pool rule looks at: who holds the lead since when, its last follow-up, and what
    it is (the holder's team, the lead's tier and source)."""

    holder: str | None
    status: str
    held_since: datetime | None
    last_follow_up_at: datetime | None
    team: str | None
    tier: str | None
    source: str | None


@dataclass(frozen=True)
class ReturnDeadline:
    due_at: datetime
    warn_at: datetime
    reason: str  # "no_follow_up" or "no_opportunity"
    rule: str
    rule_version: int
    idle_days: int  # the days the lead will have gone without what the rule asks, at due_at

    @property
    def rule_label(self) -> str:
        return f"{self.rule} v{self.rule_version}"

    def explained(self) -> str:
        """The deadline in plain words."""
        what = "a follow-up" if self.reason == "no_follow_up" else "becoming an opportunity"
        return (
            f"returns to the pool on {self.due_at.isoformat()} under rule {self.rule!r} "
            f"v{self.rule_version} after {self.idle_days} days without {what}, unless "
            + ("followed up" if self.reason == "no_follow_up" else "converted")
        )


def return_deadline(lead: HeldLead, rules: PoolRules) -> ReturnDeadline | None:
    """The lead's deadline under the first rule that matches it, or None when it has none
    (in the pool, exempt, or no rule applies). Days count from the later of the fact and the
    moment the rule came into force, so a rule changed today never reaches back."""
    if lead.holder is None or lead.held_since is None or lead.status not in RETURNING_STATUSES:
        return None
    rule = rules.rule_for(lead.team, lead.tier, lead.source)
    if rule is None:
        return None
    touched = max(lead.held_since, lead.last_follow_up_at or lead.held_since)
    deadlines = [_deadline(rule, touched, rule.idle_days, "no_follow_up")]
    if rule.no_opportunity_days is not None:
        opportunity_days = rule.no_opportunity_days
        deadlines.append(_deadline(rule, lead.held_since, opportunity_days, "no_opportunity"))
    due_at, reason, anchor = min(deadlines)
    return ReturnDeadline(
        due_at=due_at,
        warn_at=due_at - timedelta(days=rule.warn_days),
        reason=reason,
        rule=rule.name,
        rule_version=rules.version,
        idle_days=(due_at - anchor).days,
    )


def _deadline(
    rule: PoolRule, fact_at: datetime, days: int, reason: str
) -> tuple[datetime, str, datetime]:
    """(due at, reason, the moment the idle days count from)."""
    anchor = fact_at if rule.since is None else max(fact_at, rule.since)
    return anchor + timedelta(days=days), reason, fact_at
