"""The users an admin manages over HTTP: who is active, and a rep who leaves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api import departures
from api.access import check_admin
from api.dependencies import ContainerDep, UserDep
from api.problems import ApiProblem
from api.responses import JSONResponse
from api.schemas import Deactivate, TagsIn
from api.users import User, UserError

router = APIRouter(prefix="/users", tags=["users"])
Name = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("")
def list_users(container: ContainerDep, user: UserDep) -> JSONResponse:
    """Every user, their role, team and whether they are active (a manager: their team)."""
    if user.role == "rep":
        raise ApiProblem(403, "Forbidden", "only a manager or an admin may list users")
    users = [u for u in container.users.list() if user.is_admin or u.team == user.team]
    return JSONResponse({"users": [_view(u) for u in users]})


@router.post("/{name}/deactivate")
def deactivate(
    name: Name, container: ContainerDep, user: UserDep, body: Deactivate | None = None
) -> JSONResponse:
    """The user leaves: their token stops working at once, every lead they hold returns to the
    pool (`rep_left`), their open opportunities go to `opportunities_to` or to their team's
    manager. Their history and past reports stay as they were. Sent again, it finishes a
    deactivation that was cut short."""
    check_admin(user, "deactivate users")
    if name == user.name:
        raise ApiProblem(409, "Conflict", "you cannot deactivate yourself", "name")
    heir = body.opportunities_to if body else None
    try:
        departure = departures.deactivate(container, user.name, name, heir)
    except UserError as error:
        raise _problem(error, name) from None
    return JSONResponse({
        "name": name, "active": False,
        "leads_returned": [str(x) for x in departure.leads_returned],
        "opportunities_to": departure.opportunities_to,
        "opportunities_reassigned": [str(x) for x in departure.opportunities],
    })  # fmt: skip


@router.put("/{name}/tags")
def set_tags(name: Name, body: TagsIn, container: ContainerDep, user: UserDep) -> JSONResponse:
    """The user's tags (e.g. `senior`): an assignment rule may send leads only to reps with one."""
    check_admin(user, "tag users")
    if container.users.get(name) is None:
        raise ApiProblem(404, "Not Found", f"no user {name}", "name")
    try:
        tags = container.users.set_tags(name, body.tags)
    except UserError as error:
        raise ApiProblem(422, "Invalid Value", str(error), "tags") from None
    return JSONResponse({"name": name, "tags": list(tags)})


@router.post("/{name}/reactivate")
def reactivate(name: Name, container: ContainerDep, user: UserDep) -> JSONResponse:
    """Lets the user sign in again with their token; what was handed over stays handed over."""
    check_admin(user, "reactivate users")
    try:
        departures.reactivate(container, name)
    except UserError as error:
        raise _problem(error, name) from None
    return JSONResponse({"name": name, "active": True})


def _view(user: User) -> dict:
    return {"name": user.name, "role": user.role.value, "team": user.team,
            "active": user.active, "tags": list(user.tags)}  # fmt: skip


def _problem(error: UserError, name: str) -> ApiProblem:
    if str(error) == f"no user {name}":
        return ApiProblem(404, "Not Found", str(error), "name")
    return ApiProblem(409, "Conflict", str(error), "opportunities_to")
