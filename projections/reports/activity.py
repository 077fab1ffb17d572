"""Rep activity per ISO week, from the ledger's activity facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.context import is_system
from projections.filters import ReportFilter
from projections.report_rows import RepWeek
from projections.reports.sql import moment, money, rank_at, stage_ranks
from projections.table_store import SqlTables
from projections.teams import TeamHistory


def week_bounds(week: str) -> tuple[str, str]:
    """The first moment of an ISO week (`2026-W48`, UTC) and of the week after it."""
    year, number = week.split("-W")
    start = datetime.fromisocalendar(int(year), int(number), 1).replace(tzinfo=UTC)
    return start.isoformat(), (start + timedelta(days=7)).isoformat()


def rep_activity(
    tables: SqlTables,
    week: str,
    as_of: datetime | None,
    filters: ReportFilter,
    teams: TeamHistory,
) -> list[RepWeek]:
    """One row per rep with any activity in the ISO week (DESIGN.md §2), ordered by rep: what
    they were given, whom they contacted, what they moved and won."""
    start, end = week_bounds(week)
    clauses, params = ["at >= ?", "at < ?"], [start, end]
    if as_of is not None:
        clauses.append("at <= ?")
        params.append(moment(as_of))
    facts = tables.read(
        "SELECT at, kind, actor, rep, method, amount, stage, from_stage, product_line, "
        f"first_contact, within_sla, aggregate_id FROM rm_activity WHERE {' AND '.join(clauses)}",
        params,
    )
    ranks = stage_ranks(tables) if facts else {}
    weeks: dict[str, dict[str, Any]] = {}

    def row(rep: str) -> dict[str, Any]:
        # A fact (the loop's current one, at `at`) counts for the team its rep was in at the
        # time; one outside the filter is tallied on a row that is thrown away.
        if not filters.matches(rep, None, teams, at):
            return _tally()
        tally = weeks.get(rep)
        return tally if tally is not None else weeks.setdefault(rep, _tally())

    for (at, kind, actor, rep, method, amount, stage, from_stage, line, first, within,
         aggregate_id) in facts:  # fmt: skip
        if not is_system(actor):  # the scheduler's work is no one's activity
            acting = row(actor)
            acting["touched"].add(aggregate_id)
            acting["last_activity_at"] = max(acting["last_activity_at"], at)
        if kind in ("LeadClaimed", "LeadAssigned"):
            row(rep)["leads_claimed" if kind == "LeadClaimed" else "leads_assigned"] += 1
        elif kind in ("LeadFollowedUp", "OpportunityFollowedUp"):
            counts = row(rep)["follow_ups"]
            counts[method] = counts.get(method, 0) + 1
            if first:
                row(rep)["first_contacts"] += 1
                if within is not None:
                    row(rep)["sla"] += 1
                    row(rep)["sla_met"] += within
        elif kind == "OpportunityOpened":
            row(rep)["opportunities_opened"] += 1
        elif kind == "OpportunityStageChanged":
            if rank_at(ranks, line, stage, at) > rank_at(ranks, line, from_stage, at):
                row(rep)["stage_advances"] += 1
        elif kind == "OpportunityWon":
            row(rep)["won_count"] += 1
            row(rep)["won_amount"] += amount or 0
        elif kind == "OpportunityLost":
            row(rep)["lost_count"] += 1
        elif kind == "LeadContactOverdue":
            row(rep)["sla_breaches"] += 1
    return [
        RepWeek(
            rep=rep,
            leads_assigned=w["leads_assigned"],
            leads_claimed=w["leads_claimed"],
            follow_ups=dict(sorted(w["follow_ups"].items())),
            touched=len(w["touched"]),
            first_contacts=w["first_contacts"],
            first_contact_within_sla=round(100 * w["sla_met"] / w["sla"], 1) if w["sla"] else None,
            sla_breaches=w["sla_breaches"],
            opportunities_opened=w["opportunities_opened"],
            stage_advances=w["stage_advances"],
            won_count=w["won_count"],
            won_amount=money(w["won_amount"]),
            lost_count=w["lost_count"],
            last_activity_at=w["last_activity_at"] or None,
        )
        for rep, w in sorted(weeks.items())
    ]


def _tally() -> dict[str, Any]:
    return {
        "leads_assigned": 0, "leads_claimed": 0, "follow_ups": {}, "touched": set(),
        "first_contacts": 0, "sla": 0, "sla_met": 0, "opportunities_opened": 0,
        "stage_advances": 0, "won_count": 0, "won_amount": 0, "lost_count": 0,
        "last_activity_at": "", "sla_breaches": 0,
    }  # fmt: skip
