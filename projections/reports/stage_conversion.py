"""Stage conversion from the ledger's facts: per stage, how many deals entered it, advanced,
were lost in it, and how long they stayed (DESIGN.md §2).

A deal's visits to its stages are its stage-setting facts in version order (opened, moved,
won, lost, reopened): a visit ends where the next begins, and ends the way the next began.

Most deals only go forward: each move to a higher stage, then won or lost. Such a deal visits
a stage once, and the fact that ended the visit says how: a move up or a win advanced it, a
loss lost it; the fact also carries when the visit began and how long it lasted. So the
database counts those deals' visits from the facts that ended them. A deal that moved back or
was reopened in the period may advance from a stage long after leaving it: its visits are
walked in Python, back from the last. A pipeline redefined within the period reorders stages
under the deals' feet, and the whole period is walked.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from operator import itemgetter

from domain.stages import LOST, WON
from projections.filters import ReportFilter
from projections.ledger import NEXT_STAYS
from projections.pipelines import LOST_RANK
from projections.reports.sql import (
    listed,
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
DAY_US = ONE_DAY // timedelta(microseconds=1)
# The facts that begin a visit: the opening, and those that end the visit before it (which
# the fold gives that visit's start and length).
ENTRY = ("OpportunityOpened", *sorted(NEXT_STAYS))
MOVED_KIND, LOST_KIND, REOPENED_KIND = ("OpportunityStageChanged", "OpportunityLost",
                                        "OpportunityReopened")  # fmt: skip
# How the visits of a deal that only goes forward begin, and how they end.
ENTERED = ("OpportunityOpened", MOVED_KIND)
ENDED = (MOVED_KIND, "OpportunityWon", LOST_KIND)
CLOSING = ("OpportunityWon", LOST_KIND)
CLOSED = (WON, LOST)  # stages a deal leaves only by reopening: no conversion, no time in stage
# Deals that turned, set apart by their ids (SQLite takes 32,766 values a statement); with
# more than this in a period, the walk of every deal costs about what setting them apart would.
MOST_SET_APART = 10_000


@dataclass(frozen=True)
class StageConversion:
    stage: str
    entered: int
    advanced: int
    lost: int
    conversion: float | None
    mean_days: float | None
    median_days: float | None


@dataclass(frozen=True)
class _Facts:
    """The facts a report reads: from the period's start up to T, of the deals it counts (a
    condition on rm_activity without its kinds, and the condition's values)."""

    where: str = ""
    values: tuple = ()

    def also(self, clause: str, values: Sequence = ()) -> _Facts:
        """These facts under one more condition (with its values)."""
        where = f"{self.where} AND {clause}" if self.where else clause
        return _Facts(where, (*self.values, *values))

    def narrowed(self, *conditions: tuple[str, object]) -> _Facts:
        """These facts under (clause, value) conditions; a None value sets none."""
        facts = self
        for clause, value in conditions:
            if value is not None:
                facts = facts.also(clause, [value])
        return facts

    def of(self, kinds: tuple[str, ...], *conditions: tuple[str, object]) -> tuple[str, list]:
        """A WHERE clause for these kinds of the facts, narrowed by more conditions."""
        facts = _Facts(f"kind IN ({_marks(kinds)})", kinds)
        if self.where:
            facts = facts.also(self.where, self.values)
        facts = facts.narrowed(*conditions)
        return facts.where, list(facts.values)


def _marks(values: Sequence) -> str:
    return ", ".join("?" * len(values))


def stage_conversion(
    tables: SqlTables,
    as_of: datetime | None,
    since: datetime | None,
    until: datetime | None,
    filters: ReportFilter,
    teams: TeamHistory,
    walk_every_deal: bool = False,
) -> list[StageConversion]:
    """Per open stage S: entered(S) counts deals entering S in [since, until); advanced(S)
    those of them that afterwards reached a later open stage or won; lost(S) those lost while
    in S; time in S is over the visits that began in the period and have ended — all as the
    deals stood at `as_of`, each counted for its owner (and team) then.

    `walk_every_deal` walks every deal's visits, as a period with a redefined pipeline is: the
    reference the counted answer is tested against."""
    at, start, end = moment(as_of), moment(since), moment(until)
    tally = _Tally(end)  # the facts read begin at the period's start
    facts = _facts_of(tables, at, start, filters, teams)
    if facts is not None:
        ranks = stage_ranks(tables)
        walked = walk_every_deal or _pipeline_redefined(ranks, start, at)
        turned = [] if walked else _turned(tables, ranks, facts, start)
        if walked or len(turned) > MOST_SET_APART:
            _walk(tables, ranks, facts, tally)
        else:
            _count_forward(tables, facts, start, end, tally, turned)
            if turned:
                among = facts.also(f"aggregate_id IN ({_marks(turned)})", turned)
                _walk(tables, ranks, among, tally)
    shown = [filters.product_line] if filters.product_line else sorted(tally.lines)
    order = stage_order(stages_in_force(tables, at), shown)
    order += sorted(s for s in tally.entered if s not in order)
    return [tally.row(stage) for stage in order]


def _facts_of(
    tables: SqlTables,
    at: str | None,
    start: str | None,
    filters: ReportFilter,
    teams: TeamHistory,
) -> _Facts | None:
    """The period's facts up to T of the filter's deals (None: the filter has none). A
    visit counts when it began in the period, with what followed it: the facts from the
    period's start on (up to T) are all it needs, read from the (kind, at, …) index alone."""
    facts = _Facts().narrowed(
        ("at >= ?", start), ("at <= ?", at), ("product_line = ?", filters.product_line)
    )
    if filters.rep is None and filters.team is None:
        return facts
    # the rep's or team's deals as they stood at T, among those with facts in the period
    # (found through the facts' index: a past moment's whole history of the owners' deals
    # is many times more)
    reps = {filters.rep} if filters.rep is not None else {*teams.directory, *teams.spells}
    owners = sorted(r for r in reps if filters.matches(r, None, teams, at))
    if not owners:
        return None
    with_facts, with_values = facts.of(ENTRY)
    deals, params = rows_at(
        "opportunity",
        at,
        "o",
        f"owner IN ({_marks(owners)}) "
        f"AND opportunity_id IN (SELECT aggregate_id FROM rm_activity WHERE {with_facts})",
        [*owners, *with_values],
        ("opportunity_id",),
    )
    return facts.also(f"aggregate_id IN (SELECT o.opportunity_id FROM {deals})", params)


def _pipeline_redefined(ranks, start: str | None, at: str | None) -> bool:
    """Whether a pipeline definition came into force after the period's start, by T."""
    return any(
        (start is None or valid_from > start) and (at is None or valid_from <= at)
        for definitions in ranks.values()
        for valid_from, _, _ in definitions
    )


def _turned(tables: SqlTables, ranks, facts: _Facts, start: str | None) -> list[str]:
    """The deals that did not only go forward in the period: reopened in it, or moved from a
    visit begun in it to a stage no higher."""
    to_rank, to_values = rank_sql(ranks, "product_line", "stage", "at")
    from_rank, from_values = rank_sql(ranks, "product_line", "from_stage", "from_stage_at")
    where, values = facts.of((MOVED_KIND, REOPENED_KIND))
    begun = "" if start is None else " AND from_stage_at >= ?"
    # A CASE, not an OR: given `kind = ? OR (… from_stage_at >= ?)`, PostgreSQL (reading with
    # random_page_cost 1.1, and taking the period's bounds for independent) ORed two ranges of
    # the facts' index into a bitmap and read a thousand table pages: 1.5–2.3 ms, 18 with a
    # cold cache, against 0.7 from the index alone. SQLite reads the same index either way.
    rows = tables.read(
        f"SELECT DISTINCT aggregate_id FROM rm_activity WHERE {where} "
        f"AND CASE WHEN kind = ? THEN TRUE ELSE NOT {to_rank} > {from_rank}{begun} END",
        [*values, REOPENED_KIND, *to_values, *from_values, *([] if start is None else [start])],
    )
    return sorted(deal for (deal,) in rows)


def _count_forward(
    tables: SqlTables,
    facts: _Facts,
    start: str | None,
    end: str | None,
    tally: _Tally,
    turned: list[str],
) -> None:
    """The visits of the deals that only went forward (all but the `turned` ones), counted
    from the facts that began and ended them (each such deal visits a stage once: there is no
    first entry to pick)."""
    forward = facts.also(f"aggregate_id NOT IN ({_marks(turned)})", turned) if turned else facts
    where, values = forward.of(ENTERED, ("at < ?", end))
    for stage, line, deals in tables.read(
        f"SELECT stage, product_line, COUNT(*) FROM rm_activity WHERE {where} "
        "GROUP BY stage, product_line",
        values,
    ):
        tally.entered[stage] = tally.entered.get(stage, 0) + deals
        tally.lines.add(line)
    where, values = forward.of(ENDED, ("from_stage_at >= ?", start), ("from_stage_at < ?", end))
    # a row per stage and way out, its stays as one text: thousands of visits cost a few rows
    # to fetch and a split in C, instead of a row each through the driver and this loop
    for stage, lost, visits, stays in tables.read(
        f"SELECT from_stage, kind = ?, COUNT(*), {listed(tables, 'stayed_us')} "
        f"FROM rm_activity WHERE {where} GROUP BY 1, 2",
        [LOST_KIND, *values],
    ):
        ended = tally.lost if lost else tally.advanced
        ended[stage] = ended.get(stage, 0) + visits
        tally.days.setdefault(stage, []).extend(
            [stayed_us / DAY_US for stayed_us in map(int, stays.split(","))]
        )
    if start is not None:
        # a deal's line counts where it had a fact in the period; one whose only facts in it
        # closed a stay begun before it was in neither query above
        where, values = facts.of(CLOSING, ("at < ?", end), ("from_stage_at < ?", start))
        tally.lines.update(
            line for (line,) in tables.read(
                f"SELECT DISTINCT product_line FROM rm_activity WHERE {where}", values
            )
        )  # fmt: skip


def _walk(tables: SqlTables, ranks, facts: _Facts, tally: _Tally) -> None:
    """Every visit of the facts' deals, walked."""
    rank, rank_values = rank_sql(ranks, "product_line", "stage", "at")
    where, values = facts.of(ENTRY)
    # sorted here: asked to ORDER BY the deal, SQLite walked the whole table in its key order
    rows = sorted(
        tables.read(
            f"SELECT aggregate_id, version, {rank}, stage, at, kind, product_line "
            f"FROM rm_activity WHERE {where}",
            [*rank_values, *values],
        )
    )
    for _, visits in groupby(rows, key=itemgetter(0)):
        tally.count(list(visits))


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
