"""Stage conversion from the ledger's facts: per stage, how many deals entered it, advanced,
were lost in it, and how long they stayed (DESIGN.md §2).

A deal's visits to its stages are its stage-setting facts in version order (opened, moved,
won, lost, reopened): a visit ends where the next begins, and ends the way the next began.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain.stages import LOST, WON
from projections.filters import ReportFilter
from projections.pipelines import WON_RANK
from projections.reports.sql import (
    moment,
    period,
    rank_at,
    rows_at,
    stage_order,
    stage_ranks,
    stages_in_force,
)
from projections.table_store import SqlTables
from projections.teams import TeamHistory

SECONDS_PER_DAY = 86_400
# How a visit began, by the fact that began it (and so how the visit before it ended).
ENTRY = {
    "OpportunityOpened": "opened",
    "OpportunityStageChanged": "moved",
    "OpportunityWon": "won",
    "OpportunityLost": "lost",
    "OpportunityReopened": "reopened",
}


@dataclass(frozen=True)
class StageConversion:
    stage: str
    entered: int
    advanced: int
    lost: int
    conversion: float | None
    mean_days: float | None
    median_days: float | None


@dataclass
class Visit:
    stage: str
    rank: int  # fixed on entry, so a later pipeline change keeps history
    entered_at: str
    left_at: str | None = None
    exit: str | None = None


def stage_conversion(
    tables: SqlTables,
    as_of: datetime | None,
    since: datetime | None,
    until: datetime | None,
    filters: ReportFilter,
    teams: TeamHistory,
) -> list[StageConversion]:
    """Per open stage S: entered(S) counts deals entering S in [since, until); advanced(S)
    those of them that afterwards reached a later open stage or won; lost(S) those lost while
    in S; time in S is over the visits that began in the period and have ended — all as the
    deals stood at `as_of`, each counted for its owner (and team) then."""
    at, start, end = moment(as_of), moment(since), moment(until)
    marks = ", ".join("?" * len(ENTRY))
    # A visit counts when it began in the period, with what followed it: the facts from the
    # period's start on (up to T) are all it needs, read from the (kind, at, …) index alone
    # (a deal's earlier facts were read through its key, thousands of searches).
    clauses, values = [f"kind IN ({marks})"], list(ENTRY)
    if start:
        clauses.append("at >= ?")
        values.append(start)
    if at:
        clauses.append("at <= ?")
        values.append(at)
    where, deal_values = "", []
    if start or end:
        # only deals that entered a stage in the period, chosen inside each part of the
        # deals in force, where their keys find them
        entered, entered_values = period("at", since, until)
        where = (
            "opportunity_id IN (SELECT aggregate_id FROM rm_activity "
            f"WHERE kind IN ({marks}) AND {entered})"
        )
        deal_values = [*ENTRY, *entered_values]
    deals, params = rows_at(
        "opportunity", at, "o", where, deal_values, ("opportunity_id", "owner", "product_line")
    )
    # two reads joined here: joined in SQL, SQLite found each deal's facts through its key;
    # the line of each deal in the report (its owner and line as it stood at T)
    line_of = {
        deal: line
        for deal, owner, line in tables.read(
            f"SELECT o.opportunity_id, o.owner, o.product_line FROM {deals}", params
        )
        if filters.matches(owner, line, teams, at)
    }
    facts = [
        (deal, kind, stage, entered_at)
        for deal, _, kind, stage, entered_at in sorted(
            tables.read(
                "SELECT aggregate_id, version, kind, stage, at FROM rm_activity "
                f"WHERE {' AND '.join(clauses)}",
                values,
            )
        )
        if deal in line_of
    ]
    rank_of = _ranks(stage_ranks(tables) if facts else {})
    visits_of: dict[str, list[Visit]] = {}
    lines: set[str] = set()
    for deal, kind, stage, entered_at in facts:
        line = line_of[deal]
        lines.add(line)
        visits = visits_of.setdefault(deal, [])
        if visits:
            visits[-1].left_at, visits[-1].exit = entered_at, ENTRY[kind]
        visits.append(Visit(stage, rank_of(line, stage, entered_at), entered_at))
    tally = _Tally()
    for visits in visits_of.values():
        tally.count(visits, start, end)
    shown = [filters.product_line] if filters.product_line else sorted(lines)
    order = stage_order(stages_in_force(tables, at), shown)
    order += sorted(s for s in tally.entered if s not in order)
    return [tally.row(stage) for stage in order]


def _ranks(ranks) -> Callable[[str | None, str | None, str], int]:
    """rank_at, kept per line and stage for a line that has no pipeline defined (the default
    stages, whatever the moment): a period's thousands of facts ask about a few stages."""
    fixed: dict[tuple[str | None, str | None], int] = {}

    def rank_of(line: str | None, stage: str | None, at: str) -> int:
        if ranks.get(line or ""):
            return rank_at(ranks, line, stage, at)
        key = (line, stage)
        if key not in fixed:
            fixed[key] = rank_at(ranks, line, stage, at)
        return fixed[key]

    return rank_of


class _Tally:
    def __init__(self) -> None:
        self.entered: dict[str, int] = {}
        self.advanced: dict[str, int] = {}
        self.lost: dict[str, int] = {}
        self.days: dict[str, list[float]] = {}
        self._times: dict[str, datetime] = {}

    def _time(self, text: str) -> datetime:
        """A fact's time parsed once: it ends one visit and begins the next."""
        parsed = self._times.get(text)
        if parsed is None:
            parsed = self._times[text] = datetime.fromisoformat(text)
        return parsed

    def count(self, visits: list[Visit], since: str | None, until: str | None) -> None:
        first_entry: dict[str, int] = {}
        for i, visit in enumerate(visits):
            if visit.stage in (WON, LOST) or not _in_period(visit.entered_at, since, until):
                continue
            first_entry.setdefault(visit.stage, i)
            if visit.left_at is not None:
                days = (self._time(visit.left_at) - self._time(visit.entered_at)).total_seconds()
                self.days.setdefault(visit.stage, []).append(days / SECONDS_PER_DAY)
        for stage, i in first_entry.items():
            self.entered[stage] = self.entered.get(stage, 0) + 1
            rank = visits[i].rank
            if any(v.rank > rank or v.rank == WON_RANK for v in visits[i + 1 :]):
                self.advanced[stage] = self.advanced.get(stage, 0) + 1
            if any(v.stage == stage and v.exit == "lost" for v in visits[i:]):
                self.lost[stage] = self.lost.get(stage, 0) + 1

    def row(self, stage: str) -> StageConversion:
        n = self.entered.get(stage, 0)
        spans = self.days.get(stage, [])
        return StageConversion(
            stage=stage,
            entered=n,
            advanced=self.advanced.get(stage, 0),
            lost=self.lost.get(stage, 0),
            conversion=round(self.advanced.get(stage, 0) / n, 4) if n else None,
            mean_days=round(statistics.fmean(spans), 2) if spans else None,
            median_days=round(statistics.median(spans), 2) if spans else None,
        )


def _in_period(entered_at: str, since: str | None, until: str | None) -> bool:
    return (since is None or entered_at >= since) and (until is None or entered_at < until)
