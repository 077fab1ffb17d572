"""Stage conversion from the ledger's facts: per stage, how many deals entered it, advanced,
were lost in it, and how long they stayed (DESIGN.md §2).

A deal's visits to its stages are its stage-setting facts in version order (opened, moved,
won, lost, reopened): a visit ends where the next begins, and ends the way the next began.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
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

SECONDS_PER_DAY = 86_400
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
    facts = tables.read(
        f"SELECT aggregate_id, {rank}, stage, at, kind, product_line FROM rm_activity "
        f"WHERE {' AND '.join(clauses)} ORDER BY aggregate_id, version",
        [*rank_values, *values],
    )
    counted = _deals_of(tables, at, filters, teams)
    tally = _Tally(start, end)
    for deal, visits in groupby(facts, key=itemgetter(0)):
        if counted is None or deal in counted:
            tally.count(list(visits))
    shown = [filters.product_line] if filters.product_line else sorted(tally.lines)
    order = stage_order(stages_in_force(tables, at), shown)
    order += sorted(s for s in tally.entered if s not in order)
    return [tally.row(stage) for stage in order]


def _deals_of(
    tables: SqlTables, at: str | None, filters: ReportFilter, teams: TeamHistory
) -> set[str] | None:
    """The deals of the filter's rep or team as they stood at T (None: every deal)."""
    if filters.rep is None and filters.team is None:
        return None
    reps = {filters.rep} if filters.rep is not None else {*teams.directory, *teams.spells}
    owners = sorted(r for r in reps if filters.matches(r, None, teams, at))
    if not owners:
        return set()
    where = f"owner IN ({', '.join('?' * len(owners))})"
    deals, params = rows_at("opportunity", at, "o", where, owners, ("opportunity_id",))
    return {deal for (deal,) in tables.read(f"SELECT o.opportunity_id FROM {deals}", params)}


# A visit's fact: (deal, rank, stage, entered_at, kind that began it, product line). The
# rank is fixed on entry, so a later pipeline change keeps history.
Fact = tuple[str, int, str, str, str, str]


class _Tally:
    def __init__(self, since: str | None, until: str | None) -> None:
        self.since, self.until = since, until
        self.entered: dict[str, int] = {}
        self.advanced: dict[str, int] = {}
        self.lost: dict[str, int] = {}
        self.days: dict[str, list[float]] = {}
        self.lines: set[str] = set()

    def count(self, visits: list[Fact]) -> None:
        """One deal's visits from the period's start on, in order: a visit ends where the
        next begins, the way the next began."""
        since, until = self.since, self.until
        if until is None or visits[0][3] < until:  # a deal with a visit in the period
            self.lines.add(visits[0][5])
        later = _later_ranks(visits)
        # each stage's last visit that ended lost: lost in S after entering it in the period
        last_lost = {v[2]: i for i, v in enumerate(visits[:-1]) if visits[i + 1][4] == LOST_KIND}
        counted: set[str] = set()
        for i, (_, rank, stage, entered_at, _, _) in enumerate(visits):
            if stage in CLOSED or (until is not None and entered_at >= until):
                continue
            if since is not None and entered_at < since:
                continue
            if i + 1 < len(visits):
                self.days.setdefault(stage, []).append(_days(entered_at, visits[i + 1][3]))
            if stage in counted:
                continue
            counted.add(stage)  # a deal counts once per stage, from its first entry
            self.entered[stage] = self.entered.get(stage, 0) + 1
            if later[i] > rank:
                self.advanced[stage] = self.advanced.get(stage, 0) + 1
            if last_lost.get(stage, -1) >= i:
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


def _later_ranks(visits: list[Fact]) -> list[int]:
    """The highest rank each visit's deal reached after it (won ranks above every stage)."""
    later, highest = [LOST_RANK] * len(visits), LOST_RANK
    for i in range(len(visits) - 1, -1, -1):
        later[i] = highest
        highest = max(highest, visits[i][1])
    return later


def _days(entered_at: str, left_at: str) -> float:
    seconds = (datetime.fromisoformat(left_at) - datetime.fromisoformat(entered_at)).total_seconds()
    return seconds / SECONDS_PER_DAY
