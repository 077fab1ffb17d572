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
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse, Response

from api.access import scoped_filter
from api.dependencies import ContainerDep, UserDep
from api.problems import ApiProblem
from api.routers.queries import AsOf, Moment, as_of_text, ledger
from domain.published import json_ready
from projections import ledger_reports
from projections.filters import ReportFilter

router = APIRouter(prefix="/reports", tags=["management reports"])

Filter = Annotated[str | None, Query(max_length=64)]
Accept = Annotated[str | None, Header()]
Rows = list[dict[str, Any]]


def _answer(body: dict[str, Any], rows: Callable[[], Rows], accept: str | None) -> Response:
    """JSON, or the report's rows as CSV when the caller accepts text/csv (and not JSON)."""
    if accept and "text/csv" in accept and "application/json" not in accept:
        table = [json_ready(r) for r in rows()]
        out = io.StringIO()
        columns = list(table[0]) if table else []
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
    return JSONResponse(json_ready(body))


def _checked_period(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and since >= until:
        raise ApiProblem(422, "Invalid Value", "since must be before until", "since")


def _breakdowns(report: Any, names: tuple[str, ...]) -> Rows:
    """The rows of each `by_<name>` breakdown, with the breakdown named in a first column."""
    return [
        {"breakdown": name, **asdict(row)}
        for name in names
        for row in getattr(report, f"by_{name}")
    ]


@router.get("/win-rate")
def win_rate(
    container: ContainerDep,
    user: UserDep,
    since: Moment = None,
    until: Moment = None,
    as_of: AsOf = None,
    rep: Filter = None,
    team: Filter = None,
    product_line: Filter = None,
    source: Filter = None,
    accept: Accept = None,
) -> Response:
    """won / (won + lost) among deals closed in [since, until), by rep, team, product line
    and lead source."""
    _checked_period(since, until)
    filters = scoped_filter(user, ReportFilter(rep, team, product_line))
    report = ledger_reports.win_rate(
        ledger(container), as_of, since, until, filters, container.users.teams(), source
    )
    body = {"as_of": as_of_text(as_of), "since": as_of_text(since), "until": as_of_text(until),
            **asdict(report)}  # fmt: skip
    names = ("rep", "team", "product_line", "source")
    return _answer(body, lambda: _breakdowns(report, names), accept)


@router.get("/lead-conversion")
def lead_conversion(
    container: ContainerDep,
    user: UserDep,
    since: Moment = None,
    until: Moment = None,
    as_of: AsOf = None,
    rep: Filter = None,
    team: Filter = None,
    accept: Accept = None,
) -> Response:
    """Per source, the leads captured in [since, until) and how far they went: first contact
    within the SLA, converted, won — with the rate at each step."""
    _checked_period(since, until)
    filters = scoped_filter(user, ReportFilter(rep, team, None))
    rows = ledger_reports.lead_conversion(
        ledger(container), as_of, since, until, filters, container.users.teams()
    )
    body = {"as_of": as_of_text(as_of), "since": as_of_text(since), "until": as_of_text(until),
            "sources": [asdict(r) for r in rows]}  # fmt: skip
    return _answer(body, lambda: body["sources"], accept)


@router.get("/sales-cycle")
def sales_cycle(
    container: ContainerDep,
    user: UserDep,
    since: Moment = None,
    until: Moment = None,
    as_of: AsOf = None,
    rep: Filter = None,
    team: Filter = None,
    product_line: Filter = None,
    accept: Accept = None,
) -> Response:
    """Days from lead capture (or opening) to won, over deals won in [since, until)."""
    _checked_period(since, until)
    filters = scoped_filter(user, ReportFilter(rep, team, product_line))
    report = ledger_reports.sales_cycle(
        ledger(container), as_of, since, until, filters, container.users.teams()
    )
    body = {"as_of": as_of_text(as_of), **asdict(report)}
    return _answer(body, lambda: _breakdowns(report, ("product_line", "size_band")), accept)


@router.get("/forecast")
def forecast(
    container: ContainerDep,
    user: UserDep,
    as_of: AsOf = None,
    rep: Filter = None,
    team: Filter = None,
    product_line: Filter = None,
    accept: Accept = None,
) -> Response:
    """Open deals by expected close month (overdue, then six months): weighted, best case and
    commit; in total and per rep."""
    filters = scoped_filter(user, ReportFilter(rep, team, product_line))
    report = ledger_reports.forecast(
        ledger(container), as_of, filters, container.users.teams(), container.clock.now()
    )
    body = asdict(report)

    def rows() -> Rows:
        every = [{"rep": None, **asdict(m)} for m in report.months]
        return every + [
            {"rep": rep, **asdict(m)} for rep, months in report.by_rep.items() for m in months
        ]

    return _answer(body, rows, accept)


@router.get("/closed-won")
def closed_won(
    container: ContainerDep,
    user: UserDep,
    since: Moment = None,
    until: Moment = None,
    as_of: AsOf = None,
    rep: Filter = None,
    team: Filter = None,
    product_line: Filter = None,
    accept: Accept = None,
) -> Response:
    """Deals won in [since, until) by size band, product line, new or existing customer, days
    to close and lead source."""
    _checked_period(since, until)
    filters = scoped_filter(user, ReportFilter(rep, team, product_line))
    report = ledger_reports.closed_won(
        ledger(container), as_of, since, until, filters, container.users.teams()
    )
    body = {"as_of": as_of_text(as_of), **asdict(report)}
    names = ("size_band", "product_line", "customer", "days_to_close", "source")
    return _answer(body, lambda: _breakdowns(report, names), accept)


@router.get("/lost")
def lost(
    container: ContainerDep,
    user: UserDep,
    since: Moment = None,
    until: Moment = None,
    as_of: AsOf = None,
    rep: Filter = None,
    team: Filter = None,
    product_line: Filter = None,
    accept: Accept = None,
) -> Response:
    """Deals lost in [since, until) by the stage lost at, the reason and the competitor."""
    _checked_period(since, until)
    filters = scoped_filter(user, ReportFilter(rep, team, product_line))
    report = ledger_reports.lost(
        ledger(container), as_of, since, until, filters, container.users.teams()
    )
    body = {"as_of": as_of_text(as_of), **asdict(report)}
    return _answer(body, lambda: _breakdowns(report, ("stage", "reason", "competitor")), accept)
