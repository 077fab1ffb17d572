"""Target completion: won amount against the year's target, by month, quarter and year, for
the company, each team and each rep — with the target in force at the moment asked about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache, lru_cache
from itertools import accumulate

from domain.targets import months_of
from projections.filters import ReportFilter
from projections.reports.sql import closed_groups, moment, money
from projections.table_store import SqlTables
from projections.teams import TeamHistory


@dataclass(frozen=True)
class TargetLine:
    scope: str  # company, team or rep
    name: str | None
    period: str  # YYYY-MM, YYYY-Qn or YYYY
    target: Decimal
    won: Decimal
    completion: float | None  # won / target, in %


def targets(
    tables: SqlTables,
    year: int,
    as_of: datetime | None,
    filters: ReportFilter,
    teams: TeamHistory,
    only_month: str | None = None,
    wins: list[tuple] | None = None,
) -> list[TargetLine]:
    """Per month, quarter and year: the target in force at `as_of`, what was won by then, and
    completion. A rep's filter shows their line; a team's, the team and its reps; none, all.
    With `only_month` (YYYY-MM, of `year`), that month's lines alone (a weekly report's and a
    monthly review's: a seventeenth of the lines), of the same scopes: those with a target or
    a win in the year. `wins` are `won_by_rep_and_month`'s rows when the caller has them."""
    at = moment(as_of)
    version_rows = tables.read(
        "SELECT MAX(version) FROM rm_target_amount WHERE year = ?"
        + (" AND valid_from <= ?" if at else ""),
        [year, at] if at else [year],
    )
    version = version_rows[0][0] if version_rows else None
    target: dict[tuple[str, str], dict[str, int]] = {}
    if version is not None:
        for scope, name, month, amount in tables.read(
            "SELECT scope, name, month, amount FROM rm_target_amount "
            "WHERE year = ? AND version = ?",
            [year, version],
        ):
            target.setdefault((scope, name), {})[month] = amount
    if wins is None:
        wins = won_by_rep_and_month(tables, year, as_of, filters.rep, teams, only_month)
    won: dict[tuple[str, str], dict[str, int]] = {}
    for team, owner, month, _, amount in wins:
        for key in (("company", ""), ("team", team or ""), ("rep", owner)):
            if key[1] or key[0] == "company":
                cell = won.setdefault(key, {})
                cell[month] = cell.get(month, 0) + int(amount or 0)
    lines = []
    for scope, name in sorted(set(target) | set(won), key=_order):
        if not _visible(scope, name, filters, teams, at):
            continue
        lines += _periods(scope, name, year, target.get((scope, name), {}),
                          won.get((scope, name), {}), only_month)  # fmt: skip
    return lines


def won_by_rep_and_month(
    tables: SqlTables,
    year: int,
    as_of: datetime | None,
    rep: str | None,
    teams: TeamHistory,
    only_month: str | None = None,
) -> list[tuple]:
    """The deals won in `year` (as of `as_of`) counted by the database: a row per team at
    close, owner and month (team, owner, month, deals, cents); with `only_month`, every other
    month's wins are one group of month None. A win counts for the team its owner was in when
    it closed (the close time is kept apart only for reps who changed teams). `rep` reads
    that rep's wins alone (their line is all they see); a team's line needs every win."""
    return list(
        closed_groups(
            tables, as_of, datetime(year, 1, 1, tzinfo=UTC),
            datetime(year + 1, 1, 1, tzinfo=UTC), ("won",),
            ["o.owner", _month_of_close(year, only_month)], ReportFilter(rep=rep), teams,
            with_team=True,
        )
    )  # fmt: skip


def _month_of_close(year: int, only: str | None) -> str:
    """The won deals' grouping by month: every month's, or `only` that one's and one group of
    the rest (whose scopes must have a line, with nothing won that month) — a review's year of
    wins is a few rows a rep, not twelve, made Python objects."""
    if only is None:
        return "substr(o.closed_at, 1, 7)"
    if only not in months_of(year):  # it becomes a literal of the statement: a known month
        raise ValueError(f"{only!r} is not a month of {year}")
    return f"CASE WHEN substr(o.closed_at, 1, 7) = '{only}' THEN '{only}' END"


def _order(key: tuple[str, str]) -> tuple[int, str]:
    return ({"company": 0, "team": 1, "rep": 2}[key[0]], key[1])


def _visible(
    scope: str, name: str, filters: ReportFilter, teams: TeamHistory, at: str | None
) -> bool:
    if filters.rep is not None:
        return scope == "rep" and name == filters.rep
    if filters.team is not None:
        return (scope == "team" and name == filters.team) or (
            scope == "rep" and teams.team_of(name, at) == filters.team
        )
    return True


def _periods(
    scope: str,
    name: str,
    year: int,
    target: dict[str, int],
    won: dict[str, int],
    only: str | None = None,
) -> list[TargetLine]:
    """The scope's months, quarters and year (or the `only` one): sums of the months' cents,
    each made money once (a report has 17 lines for each of its dozens of scopes)."""
    months = months_of(year)
    # running totals: a span's sum is a difference of two
    goals = [0, *accumulate(target.get(m, 0) for m in months)]
    dones = [0, *accumulate(won.get(m, 0) for m in months)]
    named = name or None
    lines = []
    for period, first, end in _spans(year):
        if only is not None and period != only:
            continue
        goal, done = goals[end] - goals[first], dones[end] - dones[first]
        # done / goal in %, from the exact cents: Python rounds an int quotient correctly
        completion = round(done * 100 / goal, 1) if goal else None
        lines.append(TargetLine(scope, named, period, _money(goal), _money(done), completion))
    return lines


@cache
def _spans(year: int) -> tuple[tuple[str, int, int], ...]:
    """Each line's period and the months it sums (first, end): months, quarters, the year
    (a tuple: the cache hands the same one to every caller)."""
    spans = [(month, i, i + 1) for i, month in enumerate(months_of(year))]
    spans += [(f"{year:04d}-Q{q + 1}", 3 * q, 3 * q + 3) for q in range(4)]
    return (*spans, (f"{year:04d}", 0, 12))


# Most of a report's amounts recur (the even monthly split of a target, no wins yet): each
# made a Decimal once; a Decimal is immutable, so lines may share one.
_money = lru_cache(maxsize=4096)(money)
