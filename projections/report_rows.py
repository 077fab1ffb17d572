"""The rows the funnel, the pool and rep activity answer: their HTTP contract's fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

LEAD_STEPS = ("captured", "contacted", "qualified", "converted")


@dataclass(frozen=True)
class FunnelStage:
    stage: str
    count: int
    amount: Decimal
    weighted_amount: Decimal


@dataclass(frozen=True)
class LeadFunnel:
    captured: int = 0
    contacted: int = 0
    qualified: int = 0
    converted: int = 0


@dataclass(frozen=True)
class FunnelReport:
    stages: list[FunnelStage] = field(default_factory=list)
    leads: LeadFunnel = field(default_factory=LeadFunnel)


@dataclass(frozen=True)
class PoolLead:
    id: str
    company: str
    source: str
    industry: str | None
    region: str | None
    contact: dict[str, Any]
    score: int | None
    tier: str | None
    status: str
    captured_at: str
    in_pool_since: str
    previous_rep: str | None


@dataclass(frozen=True)
class RepWeek:
    rep: str
    leads_assigned: int = 0
    leads_claimed: int = 0
    follow_ups: dict[str, int] = field(default_factory=dict)
    touched: int = 0
    first_contacts: int = 0
    first_contact_within_sla: float | None = None
    sla_breaches: int = 0  # first contacts the scheduler recorded as late
    opportunities_opened: int = 0
    stage_advances: int = 0
    won_count: int = 0
    won_amount: Decimal = Decimal(0)
    lost_count: int = 0
    last_activity_at: str | None = None


def iso_week(at: datetime) -> str:
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}"
