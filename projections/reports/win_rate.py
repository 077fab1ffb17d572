"""Win rate: won / (won + lost) among the deals closed in a period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from projections.filters import ReportFilter
from projections.reports.sql import (
    closed_deals,
    rate,
)
from projections.table_store import SqlTables
from projections.teams import TeamHistory


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


def win_rate(
    tables: SqlTables,
    as_of: datetime | None,
    since: datetime | None,
    until: datetime | None,
    filters: ReportFilter,
    teams: TeamHistory,
    source: str | None = None,
) -> WinRate:
    """won / (won + lost) among deals closed in [since, until) (as they stood at `as_of`)."""
    rows = closed_deals(
        tables, as_of, since, until, ("won", "lost"),
        "o.owner, o.product_line, l.source, o.status, o.closed_at",
    )  # fmt: skip
    counts: dict[str, dict[str | None, list[int]]] = {
        k: {} for k in ("rep", "team", "product_line", "source")
    }
    won = lost = 0
    for owner, line, lead_source, status, closed_at in filters.rows_of(rows, teams, 0, 1, 4):
        if source and lead_source != source:
            continue
        is_won = status == "won"
        won, lost = won + is_won, lost + (not is_won)
        for kind, group in (
            ("rep", owner), ("team", teams.team_of(owner, closed_at)), ("product_line", line),
            ("source", lead_source),
        ):  # fmt: skip
            tally = counts[kind].setdefault(group, [0, 0])
            tally[0 if is_won else 1] += 1

    def rows_of(kind: str) -> list[WinRateRow]:
        return [
            WinRateRow(group, w, lo, rate(w, w + lo))
            for group, (w, lo) in sorted(counts[kind].items(), key=lambda i: str(i[0] or ""))
        ]

    return WinRate(
        won, lost, rate(won, won + lost),
        rows_of("rep"), rows_of("team"), rows_of("product_line"), rows_of("source"),
    )  # fmt: skip
