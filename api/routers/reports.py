"""The reports a sales manager lives by, now or as of any past moment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.dependencies import ContainerDep, UserDep, report_slot
from api.responses import JSONResponse, asdict
from api.routers.queries import (
    AsOf,
    Moment,
    Week,
    as_of_text,
    checked_week,
    period_bounds,
    report_scope,
)
from domain.published import json_ready
from projections import ledger_reports
from projections.filters import ReportFilter
from projections.report_rows import iso_week

router = APIRouter(prefix="/reports", tags=["reports"], dependencies=[Depends(report_slot)])

RepQuery = Annotated[str | None, Query(max_length=64)]
TeamQuery = Annotated[str | None, Query(max_length=64)]
ProductLineQuery = Annotated[str | None, Query(max_length=64)]


@router.get("/funnel")
def funnel(
    container: ContainerDep,
    user: UserDep,
    as_of: AsOf = None,
    rep: RepQuery = None,
    team: TeamQuery = None,
    product_line: ProductLineQuery = None,
) -> JSONResponse:
    """Open opportunities per stage (count, amount, weighted amount) and the lead funnel."""
    scope = report_scope(container, user, ReportFilter(rep, team, product_line))
    report = ledger_reports.funnel(scope.tables, as_of, scope.filters, scope.teams)
    moment = as_of or container.clock.now()
    return JSONResponse(
        json_ready(
            {
                "as_of": moment,
                "stages": [asdict(s) for s in report.stages],
                "leads": asdict(report.leads),
            }
        )
    )


@router.get("/stage-conversion")
def stage_conversion(
    container: ContainerDep,
    user: UserDep,
    since: Moment = None,
    until: Moment = None,
    as_of: AsOf = None,
    rep: RepQuery = None,
    team: TeamQuery = None,
    product_line: ProductLineQuery = None,
) -> JSONResponse:
    """Per stage: entered in [since, until), advanced, lost, conversion, days in stage."""
    since, until = period_bounds(container, since, until, as_of)
    scope = report_scope(container, user, ReportFilter(rep, team, product_line))
    rows = ledger_reports.stage_conversion(
        scope.tables, as_of, since, until, scope.filters, scope.teams
    )
    return JSONResponse(
        json_ready(
            {
                "as_of": as_of_text(as_of),
                "since": as_of_text(since),
                "until": as_of_text(until),
                "stages": [asdict(r) for r in rows],
            }
        )
    )


@router.get("/rep-activity")
def rep_activity(
    container: ContainerDep,
    user: UserDep,
    week: Week = None,
    as_of: AsOf = None,
    rep: RepQuery = None,
    team: TeamQuery = None,
) -> JSONResponse:
    """Per rep in one ISO week: leads taken, follow-ups, SLA, stage advances, wins, losses."""
    week = week or iso_week(as_of or container.clock.now())
    checked_week(week)
    scope = report_scope(container, user, ReportFilter(rep, team, None))
    rows = ledger_reports.rep_activity(scope.tables, week, as_of, scope.filters, scope.teams)
    return JSONResponse(json_ready({"week": week, "rows": [asdict(r) for r in rows]}))
