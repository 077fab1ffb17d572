"""Alerts (what a rep or a manager should act on, and acknowledging them), and a rep's agenda."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from api.agenda import agenda
from api.commands import CallDep
from api.dependencies import ContainerDep, UserDep
from api.problems import ApiProblem
from api.responses import JSONResponse
from api.routers.queries import ledger
from api.users import User
from domain.alerts import ALERT_KINDS
from domain.published import json_ready
from projections.alerts import AlertScope, alerts

router = APIRouter(tags=["alerts"])


def scope_of(user: User) -> AlertScope:
    if user.is_admin:
        return AlertScope()
    if user.is_manager:
        return AlertScope(rep=user.name, team=user.team)
    return AlertScope(rep=user.name)


@router.get("/me/agenda")
def my_agenda(container: ContainerDep, user: UserDep) -> JSONResponse:
    """The caller's next things to do: follow-ups due in the next 24 hours and overdue ones,
    leads going back to the pool within three days, first contacts due, open alerts."""
    tables = ledger(container)
    return JSONResponse(json_ready(agenda(container, tables, user, container.clock.now())))


# the kinds in the document, so that it says which values the server takes
KIND_PATTERN = f"^({'|'.join(ALERT_KINDS)})$"


@router.get("/alerts")
def list_alerts(
    container: ContainerDep,
    user: UserDep,
    kind: Annotated[
        str | None, Query(pattern=KIND_PATTERN, description="one kind of alert")
    ] = None,
    acknowledged: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> JSONResponse:
    """The open alerts in the caller's scope, newest first (a rep: theirs; a manager: their
    team's; an admin: all); `acknowledged=true` lists the acknowledged ones instead."""
    found, total = alerts(
        ledger(container), scope_of(user), acknowledged=acknowledged, kind=kind,
        page=(offset, limit),
    )  # fmt: skip
    following = offset + limit if offset + limit < total else None
    return JSONResponse({"alerts": found, "total": total, "next_offset": following})


@router.post("/alerts/{alert_id}/ack")
def acknowledge(alert_id: UUID, call: CallDep) -> JSONResponse:
    """Marks the alert as dealt with (whoever may see it may acknowledge it)."""
    app = call.container.app
    alert = app.get_alert(alert_id)
    scope = scope_of(call.user)
    mine = alert.rep == call.user.name and alert.audience == "rep"
    if scope.rep is not None and not mine and (scope.team is None or alert.team != scope.team):
        raise ApiProblem(403, "Forbidden", "the alert is not yours to acknowledge")
    return call.run(lambda: app.acknowledge_alert(call.ctx, alert_id))
