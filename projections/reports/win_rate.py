"""Win rate: won / (won + lost) among the deals closed in a period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from projections.filters import ReportFilter
from projections.reports.sql import LEAD_SOURCE, closed_groups, rate
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
    """won / (won + lost) among deals closed in [since, until) (as they stood at `as_of`),
    per rep and team at close, product line and lead source: the database reads the bare
    (rep, line, source, status) tuples, counted here by tuple (see closed_groups)."""
    counts: dict[str, dict[str | None, list[int]]] = {
        k: {} for k in ("rep", "team", "product_line", "source")
    }
    rows = closed_groups(tables, as_of, since, until, ("won", "lost"),
                         ["o.owner", "o.product_line", LEAD_SOURCE, "o.status"], filters, teams,
                         source, with_team=True, amounts=False)  # fmt: skip
    for team, owner, line, lead_source, status, deals, _ in rows:
        for kind, group in (("rep", owner), ("team", team), ("product_line", line),
                            ("source", lead_source)):  # fmt: skip
            tally = counts[kind].setdefault(group, [0, 0])
            tally[0 if status == "won" else 1] += deals
    won = sum(w for w, _ in counts["rep"].values())
    lost = sum(lo for _, lo in counts["rep"].values())

    def rows_of(kind: str) -> list[WinRateRow]:
        return [
            WinRateRow(group, w, lo, rate(w, w + lo))
            for group, (w, lo) in sorted(counts[kind].items(), key=lambda i: str(i[0] or ""))
        ]

    return WinRate(
        won, lost, rate(won, won + lost),
        rows_of("rep"), rows_of("team"), rows_of("product_line"), rows_of("source"),
    )  # fmt: skip
