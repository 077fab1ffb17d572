"""The forecast: open deals' weighted amount by expected close month."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from projections.filters import ReportFilter
from projections.ledger import OPEN_COLUMNS
from projections.reports.sql import (
    CENT,
    moment,
    money,
    probabilities,
    rows_at,
    stages_in_force,
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
    window = _next_months(moment_of.astimezone(UTC).date(), months + 1)
    window, after_window = window[:-1], f"{window[-1]}-01"
    opportunities, params = rows_at(
        "opportunity", at, where="status = 'open'", columns=OPEN_COLUMNS
    )
    # by close month, in SQL: a day's deals a row each would be thousands of rows to add up
    rows = tables.read(
        f"SELECT owner, product_line, stage, CASE WHEN expected_close < ? THEN 'overdue' "
        f"ELSE substr(expected_close, 1, 7) END, COUNT(*), SUM(amount) FROM {opportunities} "
        "WHERE expected_close < ? GROUP BY 1, 2, 3, 4",
        [f"{window[0]}-01", *params, after_window],
    )
    probability_of = probabilities(defined)
    totals: dict[str | None, dict[str, list]] = {}
    for owner, line, stage, month, count, amount in rows:
        if not filters.matches(owner, line, teams, at):
            continue
        probability = probability_of(line, stage)
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
