"""Deals closed in a period: the sales cycle, closed-won analysis and lost analysis."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from projections.reports.sql import (
    LEAD_SOURCE,
    closed_deals,
    closed_groups,
    moment,
    money,
    period,
    rows_at,
)
from projections.table_store import SqlTables

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
    rows = closed_deals(
        tables, as_of, since, until, ("won",),
        "o.owner, o.product_line, o.amount, o.customer, o.opened_at, o.closed_at, "
        f"{LEAD_SOURCE}, l.captured_at, o.opportunity_id",
    )  # fmt: skip
    keys = ("owner", "product_line", "amount", "customer", "opened_at", "closed_at", "source",
            "captured_at", "id")  # fmt: skip
    return [dict(zip(keys, r, strict=True)) for r in filters.rows_of(rows, teams, 0, 1, 5)]


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
        by_band.setdefault(size_band(money(deal["amount"])), []).append(days)
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
    """Deals (a dict each) added up by `group_of` a deal."""
    return _amounts_by_group((group_of(d), 1, d["amount"]) for d in deals)


def _amounts_by_group(cells: Iterable[tuple[str, int, int | None]]) -> list[GroupAmount]:
    """(group, deals, cents) added up per group, in the group's order."""
    groups: dict[str, list[int]] = {}
    for group, deals, cents in cells:
        cell = groups.setdefault(group, [0, 0])
        cell[0] += deals
        cell[1] += cents or 0  # in cents: exact, and an int adds faster than a Decimal
    return [GroupAmount(g, c[0], money(c[1])) for g, c in sorted(groups.items())]


def _total(deals: list[dict[str, Any]]) -> Decimal:
    return money(sum(d["amount"] or 0 for d in deals))


def closed_won(tables, as_of, since, until, filters, teams) -> ClosedWon:
    """Deals won in [since, until): by size band, product line, new or existing customer,
    days to close and lead source."""
    deals = _won_deals(tables, as_of, since, until, filters, teams)
    first_win = _first_wins(tables, as_of, since, until)
    return ClosedWon(
        len(deals),
        _total(deals),
        _grouped(deals, lambda d: size_band(money(d["amount"]))),
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


def _first_wins(tables: SqlTables, as_of: datetime | None, since, until) -> dict[str, str]:
    """The first won deal's close time (as things stood at `as_of`) of each customer who won
    a deal in [since, until): only those customers' deals are read, not every win ever."""
    at = moment(as_of)
    in_period, period_params = period("closed_at", since, until, as_of)
    window, window_params = rows_at("opportunity", at, "w", f"{in_period} AND status = 'won'",
                                    period_params)  # fmt: skip
    opportunities, params = rows_at(
        "opportunity", at, None,
        f"status = 'won' AND customer IN (SELECT w.customer FROM {window})", window_params,
    )  # fmt: skip
    rows = tables.read(
        f"SELECT customer, MIN(closed_at) FROM {opportunities} GROUP BY customer", params
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
    """Deals lost in [since, until): by the stage lost at, the reason and the competitor
    (counted by the database, a row per stage, reason and competitor)."""
    rows = list(
        closed_groups(tables, as_of, since, until, ("lost",),
                      ["o.lost_stage", "o.lost_reason", "o.competitor"], filters, teams)
    )  # fmt: skip
    return Lost(
        sum(int(r[3]) for r in rows),
        money(sum(r[4] or 0 for r in rows)),
        _summed(rows, lambda r: r[0] or "unknown"),
        _summed(rows, lambda r: r[1] or "none given"),
        _summed(rows, lambda r: r[2] or "none named"),
    )


def _summed(rows: list[tuple], group_of) -> list[GroupAmount]:
    """Rows counted by the database (…, deals, cents) added up by `group_of` a row."""
    return _amounts_by_group((group_of(r), int(r[-2]), r[-1]) for r in rows)
