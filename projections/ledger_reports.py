"""Reports over the ledger's tables: SQL with an "in force at T" predicate, never a replay.

Live, a report reads the current rows; as of T, the history rows whose interval holds T
(`valid_from <= T AND (valid_to IS NULL OR valid_to > T)`), with the pipeline definitions in
force at T. The cost of an answer grows with the rows that match, not with the log.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.stages import DEFAULT_STAGES
from projections.filters import ReportFilter
from projections.report_rows import (
    LEAD_STEPS,
    FunnelReport,
    FunnelStage,
    LeadFunnel,
    PoolLead,
    RepWeek,
)
from projections.table_store import SqlTables

IN_FORCE = "valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)"
TIER_ORDER = "CASE tier WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 ELSE 3 END"
CENT = Decimal("0.01")
COMMIT_PROBABILITY = Decimal("0.75")  # negotiation and later, in any pipeline


def moment(as_of: datetime | None) -> str | None:
    """A time as the tables keep it: UTC ISO-8601 text (which sorts as time does)."""
    return None if as_of is None else as_of.astimezone(UTC).isoformat()


def _at(kind: str, at: str | None, alias: str | None = None) -> tuple[str, list[Any]]:
    """The rows of leads or opportunities in force at `at` (the current rows when None), as a
    FROM item named `alias`."""
    alias = alias or kind
    if at is None:
        return f"rm_{kind} AS {alias}", []
    return f"(SELECT * FROM rm_{kind}_history WHERE {IN_FORCE}) AS {alias}", [at, at]


def _money(cents: int | None) -> Decimal:
    return Decimal(cents or 0) / 100


def stages_in_force(tables: SqlTables, at: str | None) -> dict[str, list[tuple[str, Decimal]]]:
    """Each defined product line's open stages and their probabilities, in pipeline order."""
    where, params = ("valid_to IS NULL", []) if at is None else (IN_FORCE, [at, at])
    rows = tables.read(
        f"SELECT product_line, stage, probability FROM rm_pipeline_stage WHERE {where} "
        "ORDER BY product_line, position",
        params,
    )
    stages: dict[str, list[tuple[str, Decimal]]] = {}
    for product_line, stage, probability in rows:
        stages.setdefault(product_line, []).append((stage, Decimal(probability)))
    return stages


def _stages_of(defined: Mapping[str, list[tuple[str, Decimal]]], line: str):
    if line in defined:
        return defined[line]
    return [(s.key, Decimal(str(float(s.probability)))) for s in DEFAULT_STAGES.stages]


def _stage_order(defined: Mapping[str, list[tuple[str, Decimal]]], lines: list[str]) -> list[str]:
    order: list[str] = []
    for line in lines or ["general"]:
        for stage, _ in _stages_of(defined, line):
            if stage not in order:
                order.append(stage)
    return order


# --- funnel and pool: the contracts of the first reports, now answered from the tables ---


def funnel(
    tables: SqlTables,
    as_of: datetime | None,
    filters: ReportFilter,
    teams: Mapping[str, str | None],
) -> FunnelReport:
    """Open opportunities per stage (count, amount, weighted amount) and the lead funnel
    (cumulative steps, leads by their current or last holder), as DESIGN.md §2 defines them."""
    at = moment(as_of)
    defined = stages_in_force(tables, at)
    opportunities, params = _at("opportunity", at)
    grouped = tables.read(
        f"SELECT owner, product_line, stage, COUNT(*), SUM(amount) FROM {opportunities} "
        "WHERE status = 'open' GROUP BY owner, product_line, stage",
        params,
    )
    by_stage: dict[str, list[Decimal]] = {}
    lines: set[str] = set()
    for owner, line, stage, count, amount in grouped:
        if not filters.matches(owner, line, teams):
            continue
        probability = dict(_stages_of(defined, line)).get(stage, Decimal(0))
        totals = by_stage.setdefault(stage, [Decimal(0)] * 3)
        totals[0] += count
        totals[1] += _money(amount)
        totals[2] += _money(amount) * probability
        lines.add(line)
    order = _stage_order(defined, [filters.product_line] if filters.product_line else sorted(lines))
    order += sorted(s for s in by_stage if s not in order)
    stages = [
        FunnelStage(s, int(t[0]), t[1], t[2].quantize(CENT))
        for s in order
        for t in [by_stage.get(s, [Decimal(0)] * 3)]
    ]
    leads, params = _at("lead", at)
    steps = tables.read(f"SELECT rep, step, COUNT(*) FROM {leads} GROUP BY rep, step", params)
    reached = dict.fromkeys(LEAD_STEPS, 0)
    for rep, step, count in steps:
        if filters.matches(rep, None, teams):
            for earlier in LEAD_STEPS[: LEAD_STEPS.index(step) + 1]:
                reached[earlier] += count
    return FunnelReport(stages, LeadFunnel(**reached))


def pool(
    tables: SqlTables, as_of: datetime | None, tier: str | None = None, source: str | None = None
) -> list[PoolLead]:
    """Leads waiting in the pool (active, unheld), best tier first, then longest waiting."""
    leads, params = _at("lead", moment(as_of))
    where = ["status IN ('open', 'qualified')", "holder IS NULL"]
    for column, value in (("tier", tier), ("source", source)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    rows = tables.read(
        "SELECT lead_id, company, source, industry, region, contact_name, contact_title, "
        "contact_phone, contact_email, score, tier, status, captured_at, in_pool_since, "
        f"previous_rep FROM {leads} WHERE {' AND '.join(where)} "
        f"ORDER BY {TIER_ORDER}, in_pool_since, lead_id",
        params,
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


# --- win rate ---


@dataclass(frozen=True)
class WinRateRow:
    group: str | None
    won: int
    lost: int
    win_rate: float | None


@dataclass(frozen=True)
class WinRate:
    won: int
    lost: int
    win_rate: float | None
    by_rep: list[WinRateRow] = field(default_factory=list)
    by_team: list[WinRateRow] = field(default_factory=list)
    by_product_line: list[WinRateRow] = field(default_factory=list)
    by_source: list[WinRateRow] = field(default_factory=list)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _period(column: str, since: datetime | None, until: datetime | None) -> tuple[str, list]:
    clauses, params = [f"{column} IS NOT NULL"], []
    if since is not None:
        clauses.append(f"{column} >= ?")
        params.append(moment(since))
    if until is not None:
        clauses.append(f"{column} < ?")
        params.append(moment(until))
    return " AND ".join(clauses), params


def _closed(
    tables: SqlTables,
    as_of: datetime | None,
    since: datetime | None,
    until: datetime | None,
    status: Sequence[str],
    columns: str,
) -> list[tuple]:
    """Deals closed (won or lost, as `status` says) in [since, until), as they stood at
    `as_of`, with their lead's source and capture time joined."""
    opportunities, params = _at("opportunity", moment(as_of), "o")
    period, period_params = _period("o.closed_at", since, until)
    marks = ", ".join("?" * len(status))
    return tables.read(
        f"SELECT {columns} FROM {opportunities} LEFT JOIN rm_lead l ON l.lead_id = o.lead_id "
        f"WHERE o.status IN ({marks}) AND {period}",
        [*params, *status, *period_params],
    )


def win_rate(
    tables: SqlTables,
    as_of: datetime | None,
    since: datetime | None,
    until: datetime | None,
    filters: ReportFilter,
    teams: Mapping[str, str | None],
    source: str | None = None,
) -> WinRate:
    """won / (won + lost) among deals closed in [since, until) (as they stood at `as_of`)."""
    rows = _closed(
        tables, as_of, since, until, ("won", "lost"),
        "o.owner, o.product_line, l.source, o.status",
    )  # fmt: skip
    counts: dict[str, dict[str | None, list[int]]] = {
        k: {} for k in ("rep", "team", "product_line", "source")
    }
    won = lost = 0
    for owner, line, lead_source, status in rows:
        if not filters.matches(owner, line, teams) or (source and lead_source != source):
            continue
        is_won = status == "won"
        won, lost = won + is_won, lost + (not is_won)
        for kind, group in (
            ("rep", owner), ("team", teams.get(owner)), ("product_line", line),
            ("source", lead_source),
        ):  # fmt: skip
            tally = counts[kind].setdefault(group, [0, 0])
            tally[0 if is_won else 1] += 1

    def rows_of(kind: str) -> list[WinRateRow]:
        return [
            WinRateRow(group, w, lo, _rate(w, w + lo))
            for group, (w, lo) in sorted(counts[kind].items(), key=lambda i: str(i[0] or ""))
        ]

    return WinRate(
        won, lost, _rate(won, won + lost),
        rows_of("rep"), rows_of("team"), rows_of("product_line"), rows_of("source"),
    )  # fmt: skip


# --- forecast ---


@dataclass(frozen=True)
class ForecastMonth:
    month: str  # "overdue" or YYYY-MM
    count: int
    weighted_amount: Decimal
    best_case: Decimal
    commit: Decimal


@dataclass(frozen=True)
class Forecast:
    as_of: str
    months: list[ForecastMonth]
    by_rep: dict[str, list[ForecastMonth]] = field(default_factory=dict)


def _month_of(day: str) -> str:
    return day[:7]


def _next_months(first: date, count: int) -> list[str]:
    months, year, month = [], first.year, first.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def forecast(
    tables: SqlTables,
    as_of: datetime | None,
    filters: ReportFilter,
    teams: Mapping[str, str | None],
    now: datetime,
    months: int = 6,
) -> Forecast:
    """Open deals by expected close month: overdue, then this month and the next five —
    weighted (amount × the stage's probability), best case (every open deal) and commit
    (stages of probability 75 % or more: negotiation and later)."""
    at = moment(as_of)
    moment_of = as_of or now
    defined = stages_in_force(tables, at)
    opportunities, params = _at("opportunity", at)
    rows = tables.read(
        f"SELECT owner, product_line, stage, expected_close, COUNT(*), SUM(amount) "
        f"FROM {opportunities} WHERE status = 'open' "
        "GROUP BY owner, product_line, stage, expected_close",
        params,
    )
    window = _next_months(moment_of.astimezone(UTC).date(), months)
    totals: dict[str | None, dict[str, list]] = {}
    for owner, line, stage, expected_close, count, amount in rows:
        if not filters.matches(owner, line, teams):
            continue
        month = _month_of(expected_close)
        if month < window[0]:
            month = "overdue"
        elif month > window[-1]:
            continue
        probability = dict(_stages_of(defined, line)).get(stage, Decimal(0))
        money = _money(amount)
        for who in (None, owner):
            cell = totals.setdefault(who, {}).setdefault(month, [0, Decimal(0)] + [Decimal(0)] * 2)
            cell[0] += count
            cell[1] += money * probability
            cell[2] += money
            cell[3] += money if probability >= COMMIT_PROBABILITY else 0

    def months_of(who: str | None) -> list[ForecastMonth]:
        cells = totals.get(who, {})
        return [
            ForecastMonth(m, c[0], c[1].quantize(CENT), c[2], c[3])
            for m in ["overdue", *window]
            for c in [cells.get(m, [0, Decimal(0), Decimal(0), Decimal(0)])]
        ]

    reps = sorted(who for who in totals if who is not None)
    return Forecast(
        moment_of.astimezone(UTC).isoformat(),
        months_of(None),
        {rep: months_of(rep) for rep in reps},
    )


# --- lead conversion ---


@dataclass(frozen=True)
class ConversionStep:
    source: str
    captured: int
    contacted_within_sla: int
    converted: int
    won: int
    conversion_rate: float | None
    win_rate_of_converted: float | None


def lead_conversion(
    tables: SqlTables,
    as_of: datetime | None,
    since: datetime | None,
    until: datetime | None,
    filters: ReportFilter,
    teams: Mapping[str, str | None],
) -> list[ConversionStep]:
    """Per source, leads captured in [since, until) and the chain as it stood at `as_of`:
    first contact within the SLA → converted to an opportunity → won."""
    at = moment(as_of)
    leads, lead_params = _at("lead", at, "l")
    opportunities, opp_params = _at("opportunity", at, "o")
    period, period_params = _period("l.captured_at", since, until)
    rows = tables.read(
        f"SELECT l.source, l.rep, l.first_contact_within_sla, l.status, o.status "
        f"FROM {leads} LEFT JOIN {opportunities} ON o.lead_id = l.lead_id "
        f"WHERE {period}",
        [*lead_params, *opp_params, *period_params],
    )
    chains: dict[str, list[int]] = {}
    for source, rep, within_sla, status, deal in rows:
        if (filters.rep or filters.team) and not filters.matches(rep, None, teams):
            continue
        chain = chains.setdefault(source, [0, 0, 0, 0])
        chain[0] += 1
        chain[1] += within_sla == 1
        chain[2] += status == "converted"
        chain[3] += deal == "won"
    return [
        ConversionStep(source, c[0], c[1], c[2], c[3], _rate(c[2], c[0]), _rate(c[3], c[2]))
        for source, c in sorted(chains.items())
    ]


# --- sales cycle, closed-won and lost analysis ---

SIZE_BANDS = (100_000, 500_000)  # amounts below, between and above: small, medium, large


def size_band(amount: Decimal, bands: Sequence[int] = SIZE_BANDS) -> str:
    if amount < bands[0]:
        return f"< {bands[0]:,}"
    if amount < bands[1]:
        return f"{bands[0]:,}–{bands[1]:,}"
    return f"≥ {bands[1]:,}"


def _days(start: str, end: str) -> float:
    span = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return span.total_seconds() / 86_400


@dataclass(frozen=True)
class CycleRow:
    group: str
    won: int
    mean_days: float | None
    median_days: float | None


@dataclass(frozen=True)
class SalesCycle:
    won: int
    mean_days: float | None
    median_days: float | None
    by_product_line: list[CycleRow]
    by_size_band: list[CycleRow]


def _cycle_row(group: str, days: list[float]) -> CycleRow:
    return CycleRow(
        group,
        len(days),
        round(statistics.fmean(days), 2) if days else None,
        round(statistics.median(days), 2) if days else None,
    )


def _won_deals(tables, as_of, since, until, filters, teams) -> list[dict[str, Any]]:
    rows = _closed(
        tables, as_of, since, until, ("won",),
        "o.owner, o.product_line, o.amount, o.customer, o.opened_at, o.closed_at, "
        "l.source, l.captured_at, o.opportunity_id",
    )  # fmt: skip
    keys = ("owner", "product_line", "amount", "customer", "opened_at", "closed_at", "source",
            "captured_at", "id")  # fmt: skip
    deals = [dict(zip(keys, r, strict=True)) for r in rows]
    return [d for d in deals if filters.matches(d["owner"], d["product_line"], teams)]


def sales_cycle(tables, as_of, since, until, filters, teams) -> SalesCycle:
    """Days from lead capture (or opening, for a deal without a lead) to won, over deals won
    in [since, until); mean and median, by product line and size band."""
    deals = _won_deals(tables, as_of, since, until, filters, teams)
    by_line: dict[str, list[float]] = {}
    by_band: dict[str, list[float]] = {}
    every: list[float] = []
    for deal in deals:
        days = _days(deal["captured_at"] or deal["opened_at"], deal["closed_at"])
        every.append(days)
        by_line.setdefault(deal["product_line"], []).append(days)
        by_band.setdefault(size_band(_money(deal["amount"])), []).append(days)
    whole = _cycle_row("all", every)
    return SalesCycle(
        whole.won, whole.mean_days, whole.median_days,
        [_cycle_row(g, d) for g, d in sorted(by_line.items())],
        [_cycle_row(g, d) for g, d in sorted(by_band.items())],
    )  # fmt: skip


@dataclass(frozen=True)
class GroupAmount:
    group: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class ClosedWon:
    count: int
    amount: Decimal
    by_size_band: list[GroupAmount]
    by_product_line: list[GroupAmount]
    by_customer: list[GroupAmount]  # new or existing (the customer had a won deal before)
    by_days_to_close: list[GroupAmount]  # < 30 or ≥ 30 days
    by_source: list[GroupAmount]


def _grouped(deals: list[dict[str, Any]], group_of) -> list[GroupAmount]:
    groups: dict[str, list] = {}
    for deal in deals:
        cell = groups.setdefault(group_of(deal), [0, Decimal(0)])
        cell[0] += 1
        cell[1] += _money(deal["amount"])
    return [GroupAmount(g, c[0], c[1]) for g, c in sorted(groups.items())]


def closed_won(tables, as_of, since, until, filters, teams) -> ClosedWon:
    """Deals won in [since, until): by size band, product line, new or existing customer,
    days to close and lead source."""
    deals = _won_deals(tables, as_of, since, until, filters, teams)
    first_win = _first_wins(tables, as_of)
    return ClosedWon(
        len(deals),
        sum((_money(d["amount"]) for d in deals), Decimal(0)),
        _grouped(deals, lambda d: size_band(_money(d["amount"]))),
        _grouped(deals, lambda d: d["product_line"]),
        _grouped(
            deals, lambda d: "existing" if first_win[d["customer"]] < d["closed_at"] else "new"
        ),
        _grouped(deals, _days_to_close_band),
        _grouped(deals, lambda d: d["source"] or "no lead"),
    )


def _days_to_close_band(deal: dict[str, Any]) -> str:
    days = _days(deal["captured_at"] or deal["opened_at"], deal["closed_at"])
    return "< 30 days" if days < 30 else "≥ 30 days"


def _first_wins(tables: SqlTables, as_of: datetime | None) -> dict[str, str]:
    """Each customer's first won deal's close time (as things stood at `as_of`)."""
    opportunities, params = _at("opportunity", moment(as_of))
    rows = tables.read(
        f"SELECT customer, MIN(closed_at) FROM {opportunities} WHERE status = 'won' "
        "GROUP BY customer",
        params,
    )
    return dict(rows)


@dataclass(frozen=True)
class Lost:
    count: int
    amount: Decimal
    by_stage: list[GroupAmount]
    by_reason: list[GroupAmount]
    by_competitor: list[GroupAmount]


def lost(tables, as_of, since, until, filters, teams) -> Lost:
    """Deals lost in [since, until): by the stage lost at, the reason and the competitor."""
    rows = _closed(
        tables, as_of, since, until, ("lost",),
        "o.owner, o.product_line, o.amount, o.lost_stage, o.lost_reason, o.competitor",
    )  # fmt: skip
    keys = ("owner", "product_line", "amount", "stage", "reason", "competitor")
    deals = [d for r in rows for d in [dict(zip(keys, r, strict=True))]
             if filters.matches(d["owner"], d["product_line"], teams)]  # fmt: skip
    return Lost(
        len(deals),
        sum((_money(d["amount"]) for d in deals), Decimal(0)),
        _grouped(deals, lambda d: d["stage"] or "unknown"),
        _grouped(deals, lambda d: d["reason"] or "none given"),
        _grouped(deals, lambda d: d["competitor"] or "none named"),
    )


# --- rep activity: the week's facts, per rep ---


def week_bounds(week: str) -> tuple[str, str]:
    """The first moment of an ISO week (`2026-W48`, UTC) and of the week after it."""
    year, number = week.split("-W")
    start = datetime.fromisocalendar(int(year), int(number), 1).replace(tzinfo=UTC)
    return start.isoformat(), (start + timedelta(days=7)).isoformat()


def _stage_ranks(tables: SqlTables) -> dict[str, list[tuple[str, str | None, list[str]]]]:
    """Per product line, each definition's interval and stage keys in order."""
    rows = tables.read(
        "SELECT product_line, version, valid_from, valid_to, stage FROM rm_pipeline_stage "
        "ORDER BY product_line, version, position"
    )
    definitions: dict[tuple[str, int], tuple[str, str | None, list[str]]] = {}
    for line, version, valid_from, valid_to, stage in rows:
        definitions.setdefault((line, version), (valid_from, valid_to, []))[2].append(stage)
    by_line: dict[str, list[tuple[str, str | None, list[str]]]] = {}
    for (line, _), definition in sorted(definitions.items()):
        by_line.setdefault(line, []).append(definition)
    return by_line


def _rank(ranks, line: str | None, stage: str | None, at: str) -> int:
    """A stage's place in the pipeline in force for the line at `at`: won above every stage,
    lost and unknown stages below (as the rep-activity report has always ranked them)."""
    if stage == "won":
        return 10_000
    keys = [s.key for s in DEFAULT_STAGES.stages]
    for valid_from, valid_to, stages in ranks.get(line or "", []):
        if valid_from <= at and (valid_to is None or valid_to > at):
            keys = stages
    return keys.index(stage) if stage in keys else -1


def rep_activity(
    tables: SqlTables,
    week: str,
    as_of: datetime | None,
    filters: ReportFilter,
    teams: Mapping[str, str | None],
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
    ranks = _stage_ranks(tables) if facts else {}
    weeks: dict[str, dict[str, Any]] = {}

    def row(rep: str) -> dict[str, Any]:
        return weeks.setdefault(rep, {
            "leads_assigned": 0, "leads_claimed": 0, "follow_ups": {}, "touched": set(),
            "first_contacts": 0, "sla": 0, "sla_met": 0, "opportunities_opened": 0,
            "stage_advances": 0, "won_count": 0, "won_amount": 0, "lost_count": 0,
            "last_activity_at": "",
        })  # fmt: skip

    for (at, kind, actor, rep, method, amount, stage, from_stage, line, first, within,
         aggregate_id) in facts:  # fmt: skip
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
            if _rank(ranks, line, stage, at) > _rank(ranks, line, from_stage, at):
                row(rep)["stage_advances"] += 1
        elif kind == "OpportunityWon":
            row(rep)["won_count"] += 1
            row(rep)["won_amount"] += amount or 0
        elif kind == "OpportunityLost":
            row(rep)["lost_count"] += 1
    return [
        RepWeek(
            rep=rep,
            leads_assigned=w["leads_assigned"],
            leads_claimed=w["leads_claimed"],
            follow_ups=dict(sorted(w["follow_ups"].items())),
            touched=len(w["touched"]),
            first_contacts=w["first_contacts"],
            first_contact_within_sla=round(100 * w["sla_met"] / w["sla"], 1) if w["sla"] else None,
            opportunities_opened=w["opportunities_opened"],
            stage_advances=w["stage_advances"],
            won_count=w["won_count"],
            won_amount=_money(w["won_amount"]),
            lost_count=w["lost_count"],
            last_activity_at=w["last_activity_at"] or None,
        )
        for rep, w in sorted(weeks.items())
        if filters.matches(rep, None, teams)
    ]
