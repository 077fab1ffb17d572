"""The management reports (DESIGN.md §2): win rate, lead conversion, sales cycle, forecast,
closed-won and lost analysis — each now or as of any moment, in JSON or CSV.

Every report is SQL over the ledger's tables; `as_of` is a predicate on their validity
intervals. A rep sees their own figures, a manager their team's. `Accept: text/csv` answers
the report's rows as CSV, one column per field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response

from api.dependencies import ContainerDep, UserDep, report_slot
from api.problems import ApiProblem
from api.responses import JSONResponse, asdict
from api.routers.queries import (
    AsOf,
    Moment,
    ReportScope,
    Week,
    as_of_text,
    checked_week,
    period_bounds,
    report_scope,
)
from api.users import Role
from domain.json_values import ExactNumber
from domain.published import json_ready
from projections import ledger_reports
from projections.filters import ReportFilter
from projections.report_rows import iso_week

router = APIRouter(
    prefix="/reports", tags=["management reports"], dependencies=[Depends(report_slot)]
)

Filter = Annotated[str | None, Query(max_length=64)]
Accept = Annotated[str | None, Header()]
Rows = list[dict[str, Any]]
MonthQuery = Annotated[
    str | None,
    Query(pattern=r"^(19[7-9]\d|2[01]\d\d)-(0[1-9]|1[0-2])$", description="YYYY-MM, 1970-2199"),
]


def _answer(body: dict[str, Any], rows: Callable[[], Rows], accept: str | None) -> Response:
    """JSON, or the report's rows as CSV when the caller accepts text/csv (and not JSON)."""
    if accept and "text/csv" in accept and "application/json" not in accept:
        table = [{k: _cell(v) for k, v in json_ready(r).items()} for r in rows()]
        out = io.StringIO()
        # every field of every row, in first-seen order (a report of several sections has
        # rows of several shapes; a row leaves the others' columns empty)
        columns = list(dict.fromkeys(name for row in table for name in row))
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
    return JSONResponse(body)  # written as it is (see JSONResponse)


def _cell(value: Any) -> Any:
    return value.digits if isinstance(value, ExactNumber) else value


@dataclass(frozen=True)
class Period:
    """The period a report counts over, `[since, until)`, and the moment it is asked as of."""

    since: datetime | None
    until: datetime | None
    as_of: datetime | None

    def echo(self) -> dict[str, str | None]:
        """The period as the answer repeats it."""
        return {"as_of": as_of_text(self.as_of), "since": as_of_text(self.since),
                "until": as_of_text(self.until)}  # fmt: skip


def period_of(
    container: ContainerDep, since: Moment = None, until: Moment = None, as_of: AsOf = None
) -> Period:
    since, until = period_bounds(container, since, until, as_of)
    return Period(since, until, as_of)


@dataclass(frozen=True)
class Scope(ReportScope):
    """A report's scope, and whether the caller asked for CSV."""

    accept: str | None


def scope_of(
    container: ContainerDep,
    user: UserDep,
    rep: Filter = None,
    team: Filter = None,
    product_line: Filter = None,
    accept: Accept = None,
) -> Scope:
    scope = report_scope(container, user, ReportFilter(rep, team, product_line))
    return Scope(scope.filters, scope.tables, scope.teams, accept)


PeriodDep = Annotated[Period, Depends(period_of)]
ScopeDep = Annotated[Scope, Depends(scope_of)]


def _breakdowns(report: Any, names: tuple[str, ...]) -> Rows:
    """The rows of each `by_<name>` breakdown, with the breakdown named in a first column."""
    return [
        {"breakdown": name, **asdict(row)}
        for name in names
        for row in getattr(report, f"by_{name}")
    ]


@router.get("/win-rate")
def win_rate(period: PeriodDep, scope: ScopeDep, source: Filter = None) -> Response:
    """won / (won + lost) among deals closed in [since, until), by rep, team, product line
    and lead source."""
    report = ledger_reports.win_rate(
        scope.tables, period.as_of, period.since, period.until, scope.filters, scope.teams,
        source,
    )  # fmt: skip
    names = ("rep", "team", "product_line", "source")
    body = {**period.echo(), **asdict(report)}
    return _answer(body, lambda: _breakdowns(report, names), scope.accept)


@router.get("/lead-conversion")
def lead_conversion(period: PeriodDep, scope: ScopeDep) -> Response:
    """Per source, the leads captured in [since, until) and how far they went: first contact
    within the SLA, converted, won — with the rate at each step. (Leads have no product line:
    `product_line` does not narrow this report.)"""
    rows = ledger_reports.lead_conversion(
        scope.tables, period.as_of, period.since, period.until, scope.filters, scope.teams
    )
    body = {**period.echo(), "sources": [asdict(r) for r in rows]}
    return _answer(body, lambda: body["sources"], scope.accept)


@router.get("/sales-cycle")
def sales_cycle(period: PeriodDep, scope: ScopeDep) -> Response:
    """Days from lead capture (or opening) to won, over deals won in [since, until)."""
    report = _closed_report(ledger_reports.sales_cycle, period, scope)
    body = {**period.echo(), **asdict(report)}
    return _answer(body, lambda: _breakdowns(report, ("product_line", "size_band")), scope.accept)


@router.get("/forecast")
def forecast(container: ContainerDep, scope: ScopeDep, as_of: AsOf = None) -> Response:
    """Open deals by expected close month (overdue, then six months): weighted, best case and
    commit; in total and per rep."""
    now = container.clock.now()
    report = ledger_reports.forecast(scope.tables, as_of, scope.filters, scope.teams, now)

    def rows() -> Rows:
        every = [{"rep": None, **asdict(m)} for m in report.months]
        return every + [
            {"rep": rep, **asdict(m)} for rep, months in report.by_rep.items() for m in months
        ]

    return _answer(asdict(report), rows, scope.accept)


@router.get("/closed-won")
def closed_won(period: PeriodDep, scope: ScopeDep) -> Response:
    """Deals won in [since, until) by size band, product line, new or existing customer, days
    to close and lead source."""
    report = _closed_report(ledger_reports.closed_won, period, scope)
    names = ("size_band", "product_line", "customer", "days_to_close", "source")
    body = {**period.echo(), **asdict(report)}
    return _answer(body, lambda: _breakdowns(report, names), scope.accept)


@router.get("/lost")
def lost(period: PeriodDep, scope: ScopeDep) -> Response:
    """Deals lost in [since, until) by the stage lost at, the reason and the competitor."""
    report = _closed_report(ledger_reports.lost, period, scope)
    names = ("stage", "reason", "competitor")
    body = {**period.echo(), **asdict(report)}
    return _answer(body, lambda: _breakdowns(report, names), scope.accept)


def _closed_report(report: Callable[..., Any], period: Period, scope: Scope) -> Any:
    return report(
        scope.tables, period.as_of, period.since, period.until, scope.filters, scope.teams
    )


@router.get("/pipeline-movement")
def pipeline_movement(
    container: ContainerDep, scope: ScopeDep, since: Moment = None, until: Moment = None
) -> Response:
    """What changed in the pipeline between two moments (default: the last seven days):
    deals added, advanced, moved back, slipped, amount raised or cut, won and lost, and into
    and out of each stage."""
    until = until or container.clock.now()
    since = since or until - timedelta(days=7)
    if since >= until:
        raise ApiProblem(422, "Invalid Value", "since must be before until", "since")
    movement = ledger_reports.pipeline_movement(
        scope.tables, since, until, scope.filters, scope.teams
    )
    body = asdict(movement)
    return _answer(body, lambda: [asdict(flow) for flow in movement.stages], scope.accept)


@router.get("/targets")
def targets(
    container: ContainerDep,
    scope: ScopeDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    as_of: AsOf = None,
) -> Response:
    """Target, won amount and completion per month, quarter and year — for the company, each
    team and each rep (as the caller may see them), with the target in force at `as_of`."""
    year = year or (as_of or container.clock.now()).year
    lines = ledger_reports.targets(scope.tables, year, as_of, scope.filters, scope.teams)
    body = {"year": year, "as_of": as_of_text(as_of), "lines": lines}  # json_ready takes lines
    return _answer(body, lambda: body["lines"], scope.accept)


@router.get("/weekly")
def weekly(
    container: ContainerDep,
    user: UserDep,
    rep: Filter = None,
    week: Week = None,
    as_of: AsOf = None,
) -> Response:
    """A rep's weekly report: new and high-value leads, follow-ups, needs confirmed,
    proposals, deals won, the month's target completion, next week's due follow-ups."""
    scope = report_scope(container, user, ReportFilter(rep, None, None))
    if scope.filters.rep is None:
        raise ApiProblem(422, "Invalid Value", "name the rep whose week to report", "rep")
    if user.is_manager and container.users.teams().get(scope.filters.rep) != user.team:
        raise ApiProblem(403, "Forbidden", "managers see their own team's reports", "rep")
    week = week or iso_week(as_of or container.clock.now())
    checked_week(week)
    report = ledger_reports.weekly(scope.tables, scope.filters.rep, week, as_of, scope.teams)
    return JSONResponse(json_ready(asdict(report)))


@router.get("/forecast-accuracy")
def forecast_accuracy(
    container: ContainerDep,
    scope: ScopeDep,
    month: MonthQuery = None,
    as_of: AsOf = None,
) -> Response:
    """Won in the month (default: last month) against the forecast for it as it stood on the
    month's first day."""
    report = ledger_reports.forecast_accuracy(
        scope.tables, month or last_month(as_of or container.clock.now()), as_of, scope.filters,
        scope.teams,
    )  # fmt: skip
    body = {"as_of": as_of_text(as_of), **asdict(report)}
    return _answer(body, lambda: [asdict(report)], scope.accept)


@router.get("/monthly-review")
def monthly_review(
    container: ContainerDep,
    scope: ScopeDep,
    month: MonthQuery = None,
    as_of: AsOf = None,
    lookback_months: Annotated[int, Query(ge=1, le=12)] = 3,
) -> Response:
    """The month's review (default: last month) as it stood at the month's end: the paths
    source → first contact within the SLA → won that convert best, the stage that loses most
    deals, each rep's won amount against their team's average, and target completion."""
    month = month or last_month(as_of or container.clock.now())
    sellers = [u.name for u in container.users.list() if u.role == Role.REP]
    review = ledger_reports.monthly_review(
        scope.tables, month, as_of, scope.filters, scope.teams, sellers, container.clock.now(),
        lookback_months,
    )  # fmt: skip

    def rows() -> Rows:  # CSV: the paths, then the reps, each row naming its section
        paths = [{"section": "path", **asdict(path)} for path in review.paths]
        return paths + [{"section": "rep", **asdict(rep)} for rep in review.reps]

    return _answer(asdict(review), rows, scope.accept)


def last_month(moment: datetime) -> str:
    """The month before the one `moment` falls in (UTC), as YYYY-MM."""
    day = moment.astimezone(UTC).date()
    year, number = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return f"{year:04d}-{number:02d}"
