"""Stage conversion from the ledger's facts: per stage, how many deals entered it, advanced,
were lost in it, and how long they stayed (DESIGN.md §2).

A deal's visits to its stages are its stage-setting facts in version order (opened, moved,
won, lost, reopened): a visit ends where the next begins, and ends the way the next began.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from operator import itemgetter

from domain.stages import LOST, WON
from projections.filters import ReportFilter
from projections.pipelines import LOST_RANK
from projections.reports.sql import (
    moment,
    rank_sql,
    rows_at,
    stage_order,
    stage_ranks,
    stages_in_force,
)
from projections.table_store import SqlTables
from projections.teams import TeamHistory

ONE_DAY = timedelta(days=1)
# The facts that begin a visit (and so end the one before it).
ENTRY = ("OpportunityOpened", "OpportunityStageChanged", "OpportunityWon", "OpportunityLost",
         "OpportunityReopened")  # fmt: skip
LOST_KIND = "OpportunityLost"
CLOSED = (WON, LOST)  # stages a deal leaves only by reopening: no conversion, no time in stage


@dataclass(frozen=True)
class StageConversion:
    stage: str
    entered: int
    advanced: int
    lost: int
    conversion: float | None
    mean_days: float | None
    median_days: float | None


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
    # A visit counts when it began in the period, with what followed it: the facts from the
    # period's start on (up to T) are all it needs, read from the (kind, at, …) index alone,
    # each with its rank (a deal's product line never changes, and is on its facts).
    rank, rank_values = rank_sql(stage_ranks(tables), "product_line", "stage", "at")
    clauses, values = [f"kind IN ({', '.join('?' * len(ENTRY))})"], list(ENTRY)
    for clause, value in (
        ("at >= ?", start),
        ("at <= ?", at),
        ("product_line = ?", filters.product_line),
    ):
        if value is not None:
            clauses.append(clause)
            values.append(value)
    where = " AND ".join(clauses)
    # sorted here: asked to ORDER BY the deal, SQLite walked the whole table in its key order
    facts = sorted(
        tables.read(
            f"SELECT aggregate_id, version, {rank}, stage, at, kind, product_line "
            f"FROM rm_activity WHERE {where}",
            [*rank_values, *values],
        )
    )
    counted = _deals_of(tables, at, filters, teams, where, values)
    tally = _Tally(end)  # the facts read begin at the period's start
    for deal, visits in groupby(facts, key=itemgetter(0)):
        if counted is None or deal in counted:
            tally.count(list(visits))
    shown = [filters.product_line] if filters.product_line else sorted(tally.lines)
    order = stage_order(stages_in_force(tables, at), shown)
    order += sorted(s for s in tally.entered if s not in order)
    return [tally.row(stage) for stage in order]


def _deals_of(
    tables: SqlTables,
    at: str | None,
    filters: ReportFilter,
    teams: TeamHistory,
    facts: str,
    fact_values: list,
) -> set[str] | None:
    """The deals of the filter's rep or team as they stood at T (None: every deal), among
    those with `facts` (found through the facts' index: a past moment's whole history of
    the owners' deals is many times more)."""
    if filters.rep is None and filters.team is None:
        return None
    reps = {filters.rep} if filters.rep is not None else {*teams.directory, *teams.spells}
    owners = sorted(r for r in reps if filters.matches(r, None, teams, at))
    if not owners:
        return set()
    where = (
        f"owner IN ({', '.join('?' * len(owners))}) "
        f"AND opportunity_id IN (SELECT aggregate_id FROM rm_activity WHERE {facts})"
    )
    deals, params = rows_at(
        "opportunity", at, "o", where, [*owners, *fact_values], ("opportunity_id",)
    )
    return {deal for (deal,) in tables.read(f"SELECT o.opportunity_id FROM {deals}", params)}


# A visit's fact: (deal, version, rank, stage, entered_at, kind that began it, product
# line). The rank is fixed on entry, so a later pipeline change keeps history.
Fact = tuple[str, int, int, str, str, str, str]


class _Tally:
    def __init__(self, until: str | None) -> None:
        self.until = until
        self.entered: dict[str, int] = {}
        self.advanced: dict[str, int] = {}
        self.lost: dict[str, int] = {}
        self.days: dict[str, list[float]] = {}
        self.lines: set[str] = set()

    def count(self, visits: list[Fact]) -> None:
        """One deal's visits from the period's start on, in order: a visit ends where the
        next begins, the way the next began. Walked back from the last, so that the highest
        rank reached after a visit, and the stages a later loss left, are at hand."""
        until = self.until
        if until is not None and visits[0][4] >= until:
            return  # facts after the period only
        self.lines.add(visits[0][6])
        highest, lost_from, first = LOST_RANK, set(), {}
        left_at: str | None = None  # when the visit after this one began
        left: datetime | None = None  # the same, parsed (each time is parsed once)
        ends_lost = False
        for _, _, rank, stage, entered_at, kind, _ in reversed(visits):
            if ends_lost:
                lost_from.add(stage)
            entered: datetime | None = None
            if stage not in CLOSED and (until is None or entered_at < until):
                if left_at is not None:
                    entered = datetime.fromisoformat(entered_at)
                    stayed = (left or datetime.fromisoformat(left_at)) - entered
                    self.days.setdefault(stage, []).append(stayed / ONE_DAY)
                # a deal counts once per stage, from its first entry in the period: the
                # earliest, written last
                first[stage] = (highest > rank, stage in lost_from)
            highest = max(highest, rank)
            left_at, left, ends_lost = entered_at, entered, kind == LOST_KIND
        for stage, (advanced, lost) in first.items():
            self.entered[stage] = self.entered.get(stage, 0) + 1
            if advanced:
                self.advanced[stage] = self.advanced.get(stage, 0) + 1
            if lost:
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
