"""Forecast accuracy for a month M: what was won in M against the forecast for M as it stood
on M's first day (DESIGN.md §2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from projections.filters import ReportFilter
from projections.reports.forecast import forecast
from projections.reports.sql import closed_deals, money, month_start
from projections.table_store import SqlTables
from projections.teams import TeamHistory


@dataclass(frozen=True)
class ForecastAccuracy:
    month: str
    forecast_as_of: str  # the month's first moment
    weighted_forecast: Decimal
    best_case: Decimal
    commit: Decimal
    won: Decimal
    accuracy: float | None  # won / weighted forecast


def forecast_accuracy(
    tables: SqlTables,
    month: str,
    as_of: datetime | None,
    filters: ReportFilter,
    teams: TeamHistory,
) -> ForecastAccuracy:
    """`month` is YYYY-MM; what was won is counted as things stood at `as_of` (now if None)."""
    first, after = month_start(month), month_start(month, 1)
    then = forecast(tables, first, filters, teams, first, months=1)
    row = next(m for m in then.months if m.month == month)
    deals = closed_deals(
        tables, as_of, first, after, ("won",), "o.owner, o.product_line, o.amount, o.closed_at"
    )
    won = sum(
        (
            money(amount)
            for owner, line, amount, closed in deals
            if filters.matches(owner, line, teams, closed)
        ),  # fmt: skip
        Decimal(0),
    )
    accuracy = round(float(won / row.weighted_amount), 4) if row.weighted_amount else None
    return ForecastAccuracy(
        month, first.isoformat(), row.weighted_amount, row.best_case, row.commit, won, accuracy
    )
