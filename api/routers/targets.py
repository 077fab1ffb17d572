"""Sales targets per year: set by an admin (a manager for their own team and reps), as events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.access import check_manager
from api.commands import CallDep
from api.dependencies import ContainerDep, UserDep
from api.problems import ApiProblem
from api.responses import JSONResponse
from api.schemas import SetTarget
from api.users import User
from domain.errors import NotFound
from domain.published import json_ready
from domain.targets import SalesTarget

router = APIRouter(prefix="/targets", tags=["targets"])
Year = Annotated[int, Path(ge=2000, le=2100)]


@router.put("/{year}")
def set_target(year: Year, body: SetTarget, call: CallDep) -> JSONResponse:
    """Sets the year's target from now on (an admin: all of it; a manager: their team's and
    their reps' amounts within the target an admin set)."""
    check_manager(call.user, "set targets")
    app = call.container.app
    if call.user.is_admin:
        if body.company is None:
            raise ApiProblem(422, "Invalid Value", "company is required", "company")
        amounts = body.model_dump()
    else:
        if body.company is not None or body.by_month is not None:  # before looking the year up
            raise ApiProblem(403, "Forbidden", "only an admin sets the company's target", "company")
        amounts = _within_team(call.user, _current(app, year), body, call.teams)
    return call.run(lambda: app.set_target(call.ctx, year, **amounts))


@router.get("/{year}")
def get_target(year: Year, container: ContainerDep, user: UserDep) -> JSONResponse:
    """The year's target as set now (company, months given, teams, reps) and its version."""
    target = _current(container.app, year)
    return JSONResponse(json_ready({**_amounts(target), "year": year, "version": target.version}))


def _current(app: Any, year: int) -> SalesTarget:
    try:
        return app.get_target(year)
    except NotFound:
        raise ApiProblem(404, "Not Found", f"no target is set for {year}") from None


def _amounts(target: SalesTarget) -> dict[str, Any]:
    return {"company": target.company, "by_month": target.by_month,
            "by_team": target.by_team, "by_rep": target.by_rep}  # fmt: skip


def _within_team(
    user: User, target: SalesTarget, body: SetTarget, teams: dict[str, str | None]
) -> dict[str, Any]:
    """A manager's amounts merged into the year's target: only their team and its reps."""
    for team in body.by_team or {}:
        if team != user.team:
            raise ApiProblem(403, "Forbidden", f"{team} is not your team", "by_team")
    for rep in body.by_rep or {}:
        if teams.get(rep) != user.team:
            raise ApiProblem(403, "Forbidden", f"{rep} is not in your team", "by_rep")
    amounts = _amounts(target)
    return {**amounts, "by_team": {**amounts["by_team"], **(body.by_team or {})},
            "by_rep": {**amounts["by_rep"], **(body.by_rep or {})}}  # fmt: skip
