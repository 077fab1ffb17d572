"""The forecast: open deals' weighted amount by expected close month."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from projections.filters import ReportFilter
from projections.reports.sql import (
    CENT,
    moment,
    money,
    rows_at,
    stages_in_force,
    stages_of,
)
from projections.table_store import SqlTables
from projections.teams import TeamHistory

COMMIT_PROBABILITY = Decimal("0.75")  # negotiation and later, in any pipeline


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
    teams: TeamHistory,
    now: datetime,
    months: int = 6,
) -> Forecast:
    """Open deals by expected close month: overdue, then this month and the next five —
    weighted (amount × the stage's probability), best case (every open deal) and commit
    (stages of probability 75 % or more: negotiation and later)."""
    at = moment(as_of)
    moment_of = as_of or now
    defined = stages_in_force(tables, at)
    opportunities, params = rows_at("opportunity", at, where="status = 'open'")
    rows = tables.read(
        f"SELECT owner, product_line, stage, expected_close, COUNT(*), SUM(amount) "
        f"FROM {opportunities} "
        "GROUP BY owner, product_line, stage, expected_close",
        params,
    )
    window = _next_months(moment_of.astimezone(UTC).date(), months)
    totals: dict[str | None, dict[str, list]] = {}
    for owner, line, stage, expected_close, count, amount in rows:
        if not filters.matches(owner, line, teams, at):
            continue
        month = _month_of(expected_close)
        if month < window[0]:
            month = "overdue"
        elif month > window[-1]:
            continue
        probability = dict(stages_of(defined, line)).get(stage, Decimal(0))
        amount_due = money(amount)
        for who in (None, owner):
            cell = totals.setdefault(who, {}).setdefault(
                month, [0, Decimal(0), Decimal(0), Decimal(0)]
            )
            cell[0] += count
            cell[1] += amount_due * probability
            cell[2] += amount_due
            cell[3] += amount_due if probability >= COMMIT_PROBABILITY else 0

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
