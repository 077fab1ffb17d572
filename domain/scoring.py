"""BANT scoring: budget, authority, need, timeline → a score and a tier (DESIGN.md §1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from domain.errors import InvalidValue


class Authority(StrEnum):
    """How senior the contact is, lowest first."""

    STAFF = "staff"
    MANAGER = "manager"
    DIRECTOR = "director"
    EXECUTIVE = "executive"


class Tier(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


AUTHORITY_RANK = {a: i for i, a in enumerate(Authority)}


@dataclass(frozen=True)
class ScoringRules:
    """Weights and thresholds; the defaults are the sales team's standard BANT practice."""

    budget_threshold: Decimal = Decimal(100_000)
    budget_points: int = 2
    authority_threshold: Authority = Authority.MANAGER
    authority_points: int = 3
    need_points: int = 2
    timeline_max_days: int = 30
    timeline_points: int = 3
    high_at: int = 8
    medium_at: int = 5
    # Hours within which a lead of each tier must get its first contact; low tier has no SLA.
    first_contact_sla_hours: tuple[tuple[str, int], ...] = (("high", 24), ("medium", 48))

    def score(
        self, budget: Decimal, authority: Authority, need_clear: bool, timeline_days: int
    ) -> tuple[int, Tier]:
        """The BANT score and its tier."""
        if budget < 0:
            raise InvalidValue("budget must not be negative", field="budget")
        if timeline_days < 0:
            raise InvalidValue("timeline_days must not be negative", field="timeline_days")
        points = 0
        if budget >= self.budget_threshold:
            points += self.budget_points
        if AUTHORITY_RANK[authority] >= AUTHORITY_RANK[self.authority_threshold]:
            points += self.authority_points
        if need_clear:
            points += self.need_points
        if timeline_days <= self.timeline_max_days:
            points += self.timeline_points
        return points, self.tier_of(points)

    def tier_of(self, score: int) -> Tier:
        if score >= self.high_at:
            return Tier.HIGH
        if score >= self.medium_at:
            return Tier.MEDIUM
        return Tier.LOW

    def sla_hours(self, tier: str | None) -> int | None:
        """Hours allowed until first contact for a tier, or None where no SLA applies."""
        return dict(self.first_contact_sla_hours).get(tier or "")

    def contact_due(self, tier: str | None, held_since: datetime | None) -> datetime | None:
        """When the first contact with a lead of the tier is due, its rep having got it at
        `held_since`; None where no SLA applies or nobody holds it."""
        hours = self.sla_hours(tier)
        if hours is None or held_since is None:
            return None
        return held_since + timedelta(hours=hours)


DEFAULT_RULES = ScoringRules()
