"""Pipeline movement: what changed in the pipeline between two moments ("since last Monday").

Only the deals with a version that began in `(since, until]` are read, each as it stood at
both moments (one join of the history with itself on the deal's key), so the cost follows what
moved, not the size of the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from projections.filters import ReportFilter
from projections.pipelines import rank_among
from projections.reports.sql import moment, money, stages_in_force, stages_of
from projections.table_store import SqlTables
from projections.teams import TeamHistory


@dataclass
class Moved:
    count: int = 0
    amount: Decimal = Decimal(0)

    def add(self, amount: Decimal) -> None:
        self.count += 1
        self.amount += amount


@dataclass
class StageFlow:
    stage: str
    into: int = 0
    into_amount: Decimal = Decimal(0)
    out_of: int = 0
    out_of_amount: Decimal = Decimal(0)


@dataclass
class Movement:
    since: str
    until: str
    added: Moved = field(default_factory=Moved)
    advanced: Moved = field(default_factory=Moved)
    moved_back: Moved = field(default_factory=Moved)
    slipped: Moved = field(default_factory=Moved)  # expected close moved later
    amount_raised: Moved = field(default_factory=Moved)  # amount: by how much in all
    amount_cut: Moved = field(default_factory=Moved)
    won: Moved = field(default_factory=Moved)
    lost: Moved = field(default_factory=Moved)
    stages: list[StageFlow] = field(default_factory=list)


def pipeline_movement(
    tables: SqlTables,
    since: datetime,
    until: datetime,
    filters: ReportFilter,
    teams: TeamHistory,
) -> Movement:
    """Deals added, advanced, moved back, slipped, amount raised or cut, won and lost between
    `since` and `until`, and the deals into and out of each stage (owner and team as at `until`)."""
    t1, t2 = moment(since), moment(until)
    assert t1 is not None and t2 is not None
    rows = tables.read(
        "SELECT later.owner, later.product_line, later.stage, later.amount, later.expected_close, "
        "later.status, earlier.stage, earlier.amount, earlier.expected_close, earlier.status "
        "FROM rm_opportunity_history AS later "
        "LEFT JOIN rm_opportunity_history AS earlier ON earlier.opportunity_id = "
        "later.opportunity_id AND earlier.valid_from <= ? "
        "AND (earlier.valid_to IS NULL OR earlier.valid_to > ?) "
        "WHERE later.valid_from <= ? AND (later.valid_to IS NULL OR later.valid_to > ?) "
        "AND later.opportunity_id IN (SELECT opportunity_id FROM rm_opportunity_history "
        "WHERE valid_from > ? AND valid_from <= ?)",
        [t1, t1, t2, t2, t1, t2],
    )
    defined = stages_in_force(tables, t2)
    movement = Movement(t1, t2)
    flows: dict[str, StageFlow] = {}
    for owner, line, stage, amount, close, status, was_stage, was_amount, was_close, was in rows:
        if not filters.matches(owner, line, teams, t2):
            continue
        now = money(amount)
        if was is None:
            movement.added.add(now)
        if status != was:
            if status == "won":
                movement.won.add(now)
            elif status == "lost":
                movement.lost.add(now)
        if was is not None:
            keys = [key for key, _ in stages_of(defined, line)]
            rank, was_rank = rank_among(keys, stage), rank_among(keys, was_stage)
            if status == was == "open" and rank != was_rank:
                (movement.advanced if rank > was_rank else movement.moved_back).add(now)
            if close > was_close:
                movement.slipped.add(now)
            change = now - money(was_amount)
            if change:
                moved = movement.amount_raised if change > 0 else movement.amount_cut
                moved.count += 1
                moved.amount += abs(change)
        if stage != was_stage:
            _flow(flows, stage).into += 1
            _flow(flows, stage).into_amount += now
            if was_stage is not None:
                _flow(flows, was_stage).out_of += 1
                _flow(flows, was_stage).out_of_amount += money(was_amount)
    order = [key for key, _ in stages_of(defined, filters.product_line or "general")]
    order += sorted(s for s in flows if s not in order)
    movement.stages = [flows[s] for s in order if s in flows]
    return movement


def _flow(flows: dict[str, StageFlow], stage: str) -> StageFlow:
    return flows.setdefault(stage, StageFlow(stage))
