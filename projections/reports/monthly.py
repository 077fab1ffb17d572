"""The manager's monthly review (DESIGN.md §2, due by the 5th): which paths convert best, the
stage that loses most deals, each rep's won amount against their team's average, and target
completion — the month as it stood at its end (or at `as_of`, when earlier)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from projections.filters import ReportFilter
from projections.reports.closed import GroupAmount, lost
from projections.reports.conversion import month_outcome_counts
from projections.reports.sql import CENT, closed_deals, money, month_start, rate
from projections.reports.targets import TargetLine, targets, won_by_rep_and_month
from projections.table_store import SqlTables
from projections.teams import TeamHistory


@dataclass(frozen=True)
class ConversionPath:
    """Leads of one source whose first contact was (or was not) within the SLA."""

    source: str
    first_contact_within_sla: bool | None  # None: no SLA for the tier, or never contacted
    leads: int
    converted: int
    won: int
    conversion_rate: float | None  # converted / leads
    win_rate: float | None  # won / leads


@dataclass(frozen=True)
class RepAgainstTeam:
    rep: str
    team: str | None  # the team the wins counted for (at their close)
    won_count: int
    won_amount: Decimal
    team_average: Decimal  # the team's won amount over its reps
    against_average: float | None  # won_amount / team_average, in %


@dataclass(frozen=True)
class MonthlyReview:
    month: str
    as_of: str  # the month's end, or the earlier moment asked about (or now)
    paths_since: str  # paths follow the leads captured from here to the month's end
    paths: list[ConversionPath]  # best win rate first, then best conversion
    most_lost_at: str | None
    lost_by_stage: list[GroupAmount]
    reps: list[RepAgainstTeam]
    targets: list[TargetLine]  # the month's lines: company, teams, reps


def monthly_review(
    tables: SqlTables,
    month: str,
    as_of: datetime | None,
    filters: ReportFilter,
    teams: TeamHistory,
    reps: Collection[str],
    now: datetime,
    lookback_months: int = 3,
) -> MonthlyReview:
    """`month` is YYYY-MM; `reps` are the users who sell (a team's average is over them and
    anyone else who won for the team in the month); paths follow the leads captured in the
    month and the `lookback_months - 1` before it, since deals take weeks to close."""
    first, after = month_start(month), month_start(month, 1)
    paths_since = month_start(month, 1 - lookback_months)
    cut = min(after, as_of or now).astimezone(UTC)
    outcomes = month_outcome_counts(tables, cut, paths_since, after, filters, teams)
    lost_then = lost(tables, cut, first, after, filters, teams)
    top = max(lost_then.by_stage, key=lambda g: (g.count, g.amount), default=None)
    wins = won_by_rep_and_month(tables, first.year, cut, filters.rep, teams, month)
    lines = targets(tables, first.year, cut, filters, teams, only_month=month, wins=wins)
    if filters.rep is None and filters.product_line is None:
        won = _won_in_month(wins, month)  # the targets' count of the year's wins has them
    else:  # a rep's line is against their team's average, of every win; a line's, its deals'
        won = _won_by_rep(tables, cut, first, after, filters, teams)
    return MonthlyReview(
        month=month,
        as_of=cut.isoformat(),
        paths_since=paths_since.isoformat(),
        paths=_paths(outcomes),
        most_lost_at=top.group if top else None,
        lost_by_stage=lost_then.by_stage,
        reps=_reps_against_teams(won, cut, filters, teams, reps),
        targets=lines,
    )


def _paths(outcomes: dict[tuple[str, bool | None], list[int]]) -> list[ConversionPath]:
    paths = [
        ConversionPath(source, within, n, converted, won, rate(converted, n), rate(won, n))
        for (source, within), (n, converted, won) in outcomes.items()
    ]
    return sorted(paths, key=_best_first)


def _best_first(path: ConversionPath) -> tuple:
    return (-(path.win_rate or 0), -(path.conversion_rate or 0), -path.leads, path.source,
            str(path.first_contact_within_sla))  # fmt: skip


def _won_in_month(wins: list[tuple], month: str) -> dict[tuple[str, str | None], list[int]]:
    """The month's (deals, cents) by owner and team at close, of `won_by_rep_and_month`'s."""
    won: dict[tuple[str, str | None], list[int]] = {}
    for team, owner, in_month, deals, amount in wins:
        if in_month == month:
            tally = won.setdefault((owner, team), [0, 0])
            tally[0] += int(deals)
            tally[1] += int(amount or 0)
    return won


def _won_by_rep(tables, cut, first, after, filters, teams) -> dict[tuple[str, str | None], list]:
    """The month's (deals, cents) by owner and team at close, of the filter's product line."""
    deals = closed_deals(tables, cut, first, after, ("won",),
                         "o.owner, o.product_line, o.amount, o.closed_at")  # fmt: skip
    won: dict[tuple[str, str | None], list[int]] = {}
    for owner, line, amount, closed_at in deals:
        if filters.product_line is not None and line != filters.product_line:
            continue
        tally = won.setdefault((owner, teams.team_of(owner, closed_at)), [0, 0])
        tally[0] += 1
        tally[1] += amount or 0
    return won


def _reps_against_teams(won, cut, filters, teams, reps) -> list[RepAgainstTeam]:
    at_end = cut.isoformat()
    average: dict[str | None, Decimal] = {}
    for team in {team for _, team in won}:
        sellers = {r for r in reps if teams.team_of(r, at_end) == team} if team else set()
        sellers |= {owner for owner, t in won if t == team}
        total = sum(amount for (_, t), (_, amount) in won.items() if t == team)
        average[team] = (money(total) / len(sellers)).quantize(CENT)
    lines = []
    for (rep, team), (count, amount) in sorted(won.items(), key=lambda i: (str(i[0][1]), i[0][0])):
        if (filters.rep is not None and rep != filters.rep) or (
            filters.team is not None and team != filters.team
        ):
            continue  # a rep sees their own line, a manager the lines won for their team
        share = round(float(money(amount) / average[team] * 100), 1) if average[team] else None
        lines.append(RepAgainstTeam(rep, team, count, money(amount), average[team], share))
    return lines
