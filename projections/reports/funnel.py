"""The funnel and the pool, as now or as they stood at any moment."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from projections.filters import ReportFilter
from projections.report_rows import LEAD_STEPS, FunnelReport, FunnelStage, LeadFunnel, PoolLead
from projections.reports.sql import (
    CENT,
    moment,
    money,
    rows_at,
    stage_order,
    stages_in_force,
    stages_of,
)
from projections.table_store import SqlTables
from projections.teams import TeamHistory

TIER_ORDER = "CASE tier WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 ELSE 3 END"


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
    opportunities, params = rows_at("opportunity", at, where="status = 'open'")
    grouped = tables.read(
        f"SELECT owner, product_line, stage, COUNT(*), SUM(amount) FROM {opportunities} "
        "GROUP BY owner, product_line, stage",
        params,
    )
    by_stage: dict[str, list[Decimal]] = {}
    lines: set[str] = set()
    for owner, line, stage, count, amount in grouped:
        if not filters.matches(owner, line, teams, at):
            continue
        probability = dict(stages_of(defined, line)).get(stage, Decimal(0))
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
        if filters.matches(rep, None, teams, at):
            for earlier in LEAD_STEPS[: LEAD_STEPS.index(step) + 1]:
                reached[earlier] += count
    return FunnelReport(stages, LeadFunnel(**reached))


def _lead_steps(at: str | None) -> tuple[str, list]:
    """Leads by rep and step, now or at `at`: the rows in force then, read as the versions
    still current (valid_to NULL) and those that ended after `at`, each from the covering
    index (valid_to, valid_from, rep, step) — not from every version since the first."""
    if at is None:
        return "SELECT rep, step, COUNT(*) FROM rm_lead GROUP BY rep, step", []
    return (
        "SELECT rep, step, COUNT(*) FROM ("
        "SELECT rep, step FROM rm_lead_history WHERE valid_to IS NULL AND valid_from <= ? "
        "UNION ALL SELECT rep, step FROM rm_lead_history WHERE valid_to > ? AND valid_from <= ?"
        ") AS in_force GROUP BY rep, step",
        [at, at, at],
    )


def pool(
    tables: SqlTables,
    as_of: datetime | None,
    tier: str | None = None,
    source: str | None = None,
    page: tuple[int, int] | None = None,
) -> list[PoolLead]:
    """Leads waiting in the pool (active, unheld), best tier first, then longest waiting;
    `page` is (offset, limit), all of them when None."""
    leads, params = rows_at("lead", moment(as_of), None, *_waiting(tier, source))
    rows = tables.read(
        "SELECT lead_id, company, source, industry, region, contact_name, contact_title, "
        "contact_phone, contact_email, score, tier, status, captured_at, in_pool_since, "
        f"previous_rep FROM {leads} "
        f"ORDER BY {TIER_ORDER}, in_pool_since, lead_id" + (" LIMIT ? OFFSET ?" if page else ""),
        [*params, page[1], page[0]] if page else params,
    )
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
    """How many leads wait in the pool (with the same filters as `pool`)."""
    leads, params = rows_at("lead", moment(as_of), None, *_waiting(tier, source))
    return tables.read(f"SELECT COUNT(*) FROM {leads}", params)[0][0]


def _waiting(tier: str | None, source: str | None) -> tuple[str, list]:
    """The pool's condition: active and unheld, of the tier and source asked for."""
    where, params = ["status IN ('open', 'qualified')", "holder IS NULL"], []
    for column, value in (("tier", tier), ("source", source)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    return " AND ".join(where), params
