"""A rep's weekly report, as the practice asks for it on Monday (DESIGN.md §2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from projections.filters import ReportFilter
from projections.reports.activity import week_bounds
from projections.reports.sql import moment, money, rows_at
from projections.reports.targets import targets
from projections.table_store import SqlTables
from projections.teams import TeamHistory


@dataclass(frozen=True)
class DueFollowUp:
    kind: str  # lead or opportunity
    id: str
    name: str  # the lead's company, or the deal's name
    next_follow_up_at: str


@dataclass(frozen=True)
class WeeklyReport:
    rep: str
    week: str
    new_leads: int  # claimed or assigned to the rep in the week
    high_value_leads: int  # of those, scored high
    follow_ups: dict[str, int] = field(default_factory=dict)
    needs_confirmed: int = 0  # the rep's deals moved into needs
    proposals: int = 0  # the rep's deals moved into proposal
    won_count: int = 0
    won_amount: Decimal = Decimal(0)
    month: str = ""
    month_target_completion: float | None = None
    next_week_follow_ups: list[DueFollowUp] = field(default_factory=list)


def weekly(
    tables: SqlTables,
    rep: str,
    week: str,
    as_of: datetime | None,
    teams: TeamHistory,
) -> WeeklyReport:
    """What the rep did in the ISO week, the month's target completion (the month the week
    ends in), and the follow-ups planned for the week after — as things stood at `as_of`
    (the week's end at the latest)."""
    start, end = week_bounds(week)
    cut = min(end, moment(as_of) or end)
    facts = tables.read(
        "SELECT kind, method, stage, amount, aggregate_id FROM rm_activity "
        "WHERE rep = ? AND at >= ? AND at < ? AND at <= ?",
        [rep, start, end, cut],
    )
    taken = [lead for kind, _, _, _, lead in facts if kind in ("LeadClaimed", "LeadAssigned")]
    follow_ups: dict[str, int] = {}
    needs = proposals = won = 0
    won_amount = 0
    for kind, method, stage, amount, _ in facts:
        if kind in ("LeadFollowedUp", "OpportunityFollowedUp"):
            follow_ups[method] = follow_ups.get(method, 0) + 1
        elif kind == "OpportunityStageChanged":
            needs += stage == "needs"
            proposals += stage == "proposal"
        elif kind == "OpportunityWon":
            won, won_amount = won + 1, won_amount + (amount or 0)
    last_day = datetime.fromisoformat(end) - timedelta(days=1)
    month = f"{last_day.year:04d}-{last_day.month:02d}"
    lines = targets(tables, last_day.year, as_of, ReportFilter(rep=rep), teams, only_month=month)
    completion = next((x.completion for x in lines), None)
    return WeeklyReport(
        rep=rep,
        week=week,
        new_leads=len(taken),
        high_value_leads=_high_value(tables, taken, cut),
        follow_ups=dict(sorted(follow_ups.items())),
        needs_confirmed=needs,
        proposals=proposals,
        won_count=won,
        won_amount=money(won_amount),
        month=month,
        month_target_completion=completion,
        next_week_follow_ups=_due(tables, rep, end, cut),
    )


def _high_value(tables: SqlTables, leads: list[str], at: str) -> int:
    if not leads:
        return 0
    taken = sorted(set(leads))
    # the ids inside each part of the rows in force, where the keys find them: outside,
    # every lead and every version of one would be read to pick these few
    rows, params = rows_at(
        "lead", at, None, f"lead_id IN ({', '.join('?' * len(taken))})", taken,
        ("lead_id", "tier"),
    )  # fmt: skip
    found = tables.read(f"SELECT COUNT(*) FROM {rows} WHERE tier = 'high'", params)
    return int(found[0][0])


def _due(tables: SqlTables, rep: str, week_end: str, at: str) -> list[DueFollowUp]:
    """The rep's held leads and open deals with a follow-up planned in the next week."""
    next_end = (datetime.fromisoformat(week_end) + timedelta(days=7)).isoformat()
    planned = "next_follow_up_at >= ? AND next_follow_up_at < ?"
    window = [rep, week_end, next_end]
    # only the columns shown: every column of both tables, twice each, made a statement the
    # database parsed and planned for longer than it ran
    leads, lead_params = rows_at(
        "lead", at, None, f"holder = ? AND {planned}", window,
        ("lead_id", "company", "next_follow_up_at"),
    )  # fmt: skip
    deals, deal_params = rows_at(
        "opportunity", at, None, f"status = 'open' AND owner = ? AND {planned}", window,
        ("opportunity_id", "name", "next_follow_up_at"),
    )  # fmt: skip
    due = tables.read(
        f"SELECT 'lead', lead_id, company, next_follow_up_at FROM {leads} "
        f"UNION ALL SELECT 'opportunity', opportunity_id, name, next_follow_up_at FROM {deals} "
        "ORDER BY 4, 2",
        [*lead_params, *deal_params],
    )
    return [DueFollowUp(*row) for row in due]
