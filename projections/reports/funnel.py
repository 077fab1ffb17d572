"""The funnel and the pool, as now or as they stood at any moment."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from projections.filters import ReportFilter
from projections.ledger import LEAD_STEP_COUNTS, OPEN_COLUMNS, TIER_RANK, UNHELD_COUNTS
from projections.report_rows import LEAD_STEPS, FunnelReport, FunnelStage, LeadFunnel, PoolLead
from projections.reports.sql import (
    CENT,
    moment,
    money,
    probabilities,
    rows_at,
    stage_order,
    stages_in_force,
)
from projections.table_store import SqlTables
from projections.tables import COUNT
from projections.teams import TeamHistory


def funnel(
    tables: SqlTables,
    as_of: datetime | None,
    filters: ReportFilter,
    teams: TeamHistory,
) -> FunnelReport:
    """Open opportunities per stage (count, amount, weighted amount) and the lead funnel
    (cumulative steps, leads by their current or last holder), as DESIGN.md §2 defines them."""
    at = moment(as_of)
    defined = stages_in_force(tables, at)
    opportunities, params = rows_at(
        "opportunity", at, where="status = 'open'", columns=OPEN_COLUMNS
    )
    grouped = tables.read(
        f"SELECT owner, product_line, stage, COUNT(*), SUM(amount) FROM {opportunities} "
        "GROUP BY owner, product_line, stage",
        params,
    )
    by_stage: dict[str, list[Decimal]] = {}
    lines: set[str] = set()
    probability_of = probabilities(defined)
    for owner, line, stage, count, amount in grouped:
        if not filters.matches(owner, line, teams, at):
            continue
        probability = probability_of(line, stage)
        totals = by_stage.setdefault(stage, [Decimal(0)] * 3)
        totals[0] += count
        totals[1] += money(amount)
        totals[2] += money(amount) * probability
        lines.add(line)
    order = stage_order(defined, [filters.product_line] if filters.product_line else sorted(lines))
    order += sorted(s for s in by_stage if s not in order)
    stages = [
        FunnelStage(s, int(t[0]), t[1], t[2].quantize(CENT))
        for s in order
        for t in [by_stage.get(s, [Decimal(0)] * 3)]
    ]
    steps = tables.read(*_lead_steps(at))
    reached = dict.fromkeys(LEAD_STEPS, 0)
    for rep, step, count in steps:
        if count and filters.matches(rep, None, teams, at):
            for earlier in LEAD_STEPS[: LEAD_STEPS.index(step) + 1]:
                reached[earlier] += int(count)
    return FunnelReport(stages, LeadFunnel(**reached))


def _lead_steps(at: str | None) -> tuple[str, list]:
    """Leads by rep and step, now or at `at`. Now: the tally the fold keeps, a row per rep
    and step. As of T: those counts, less the current rows begun after T, plus the versions
    in force at T that have ended since — each part read from a covering index, so a past
    moment costs what changed since it, not a walk over every lead."""
    now = f"SELECT NULLIF(rep, '') AS rep, step, {COUNT} AS n FROM {LEAD_STEP_COUNTS.name}"
    if at is None:
        return now, []
    return (
        # the changes since T a row each, ungrouped: grouped, SQLite would read them through
        # the (rep, step) index, every lead, instead of the few that valid_from finds
        f"SELECT rep, step, SUM(n) FROM ({now} "
        "UNION ALL SELECT rep, step, -1 FROM rm_lead WHERE valid_from > ? "
        "UNION ALL SELECT rep, step, 1 FROM rm_lead_history "
        "WHERE valid_to > ? AND valid_from <= ?"
        ") AS in_force GROUP BY rep, step",
        [at, at, at],
    )


POOL_COLUMNS = (
    "lead_id, company, source, industry, region, contact_name, contact_title, contact_phone, "
    "contact_email, score, tier, status, captured_at, in_pool_since, previous_rep"
)
WAITING = ("open", "qualified")  # the statuses of a lead that can wait in the pool
POOL_ORDER = "tier_rank, in_pool_since, lead_id"


def pool(
    tables: SqlTables,
    as_of: datetime | None,
    tier: str | None = None,
    source: str | None = None,
    page: tuple[int, int] | None = None,
) -> list[PoolLead]:
    """Leads waiting in the pool (active, unheld), best tier first, then longest waiting;
    `page` is (offset, limit), all of them when None.

    Each status's current rows come in the pool's order from its index, and SQL merges them
    (with, as of T, the versions in force then that have ended since), so a page costs its
    hundred rows, not a sort of the whole pool."""
    first = page[0] + page[1] if page else None
    parts, params = _waiting_parts(moment(as_of), POOL_COLUMNS + f", {TIER_RANK} AS tier_rank",
                                   tier, source, first)  # fmt: skip
    rows = tables.read(
        " UNION ALL ".join(parts) + f" ORDER BY {POOL_ORDER}"
        + (" LIMIT ? OFFSET ?" if page else ""),
        [*params, page[1], page[0]] if page else params,
    )  # fmt: skip
    return [
        PoolLead(
            id=r[0],
            company=r[1],
            source=r[2],
            industry=r[3],
            region=r[4],
            contact={"name": r[5], "title": r[6], "phone": r[7], "email": r[8]},
            score=r[9],
            tier=r[10],
            status=r[11],
            captured_at=r[12],
            in_pool_since=r[13],
            previous_rep=r[14],
        )  # fmt: skip
        for r in rows
    ]


def pool_size(
    tables: SqlTables, as_of: datetime | None, tier: str | None = None, source: str | None = None
) -> int:
    """How many leads wait in the pool (with the same filters as `pool`). As of T: how many
    wait now, less those whose current row began after T, plus the versions waiting at T
    that have ended since — each part found through a small index range."""
    at = moment(as_of)
    marks = ", ".join("?" * len(WAITING))
    asked, asked_params = _tier_and_source(tier, source)
    tally_params = [*WAITING, *asked_params]
    # how many wait now: the fold's tally of unheld leads, a row per status, tier and source
    now = (
        f"SELECT SUM({COUNT}) AS n FROM {UNHELD_COUNTS.name} "
        f"WHERE {' AND '.join([f'status IN ({marks})', *asked])}"
    )
    if at is None:
        return int(tables.read(now, tally_params)[0][0] or 0)
    condition, params = _waiting_condition(tier, source)
    waiting = f"status IN ({marks}) AND {condition}"
    rows = tables.read(
        f"SELECT SUM(n) FROM ({now} "
        # the condition inside COUNT, so that only valid_from chooses the index (the newest rows)
        f"UNION ALL SELECT -COUNT(CASE WHEN {waiting} THEN 1 END) FROM rm_lead "
        "WHERE valid_from > ? "
        f"UNION ALL SELECT COUNT(*) FROM rm_lead_history WHERE {waiting} "
        "AND valid_to > ? AND valid_from <= ?) AS counted",
        [*tally_params, *WAITING, *params, at, *WAITING, *params, at, at],
    )
    return int(rows[0][0] or 0)


def _waiting_condition(tier: str | None, source: str | None) -> tuple[str, list]:
    """Unheld, of the tier and source asked for."""
    asked, params = _tier_and_source(tier, source)
    return " AND ".join(["holder IS NULL", *asked]), params


def _tier_and_source(tier: str | None, source: str | None) -> tuple[list[str], list]:
    """The conditions on tier and source asked for (none for what is not asked)."""
    where, params = [], []
    for column, value in (("tier", tier), ("source", source)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    return where, params


def _waiting_parts(
    at: str | None, columns: str, tier: str | None, source: str | None, first: int | None
) -> tuple[list[str], list]:
    """SELECTs of `columns` over the pool's leads, now or at `at`: the current rows of each
    waiting status (each read from the pool's index, `status = ?` being its first column)
    and, as of T, the versions in force then that have ended since. With `first`, each part
    is its first rows in the pool's order (in a subquery: SQLite takes no ORDER BY in a part
    of a UNION), which the index gives without a sort."""
    condition, params = _waiting_condition(tier, source)
    begun = " AND valid_from <= ?" if at else ""
    parts, values = [], []

    def add(select: str, select_params: list) -> None:
        if first is None:
            parts.append(select)
            values.extend(select_params)
        else:
            parts.append(f"SELECT * FROM ({select} ORDER BY {POOL_ORDER} LIMIT ?) AS p{len(parts)}")
            values.extend([*select_params, first])

    for status in WAITING:
        add(f"SELECT {columns} FROM rm_lead WHERE status = ? AND {condition}{begun}",
            [status, *params, *([at] if at else [])])  # fmt: skip
    if at:
        marks = ", ".join("?" * len(WAITING))
        add(f"SELECT {columns} FROM rm_lead_history WHERE status IN ({marks}) AND {condition} "
            "AND valid_to > ? AND valid_from <= ?", [*WAITING, *params, at, at])  # fmt: skip
    return parts, values
