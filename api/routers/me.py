"""Who the caller is, as the server sees them: what a client (the dashboard) shows and scopes
its views by."""

from __future__ import annotations

from fastapi import APIRouter

from api.dependencies import ContainerDep, UserDep
from api.responses import JSONResponse

router = APIRouter(tags=["users"])


@router.get("/me")
def me(container: ContainerDep, user: UserDep) -> JSONResponse:
    """The caller's name, role and team, the deployment's currency, and the server's time (a
    client counts "a month back" from it, as the reports do)."""
    return JSONResponse({
        "name": user.name, "role": user.role.value, "team": user.team,
        "currency": container.settings.currency, "now": container.clock.now().isoformat(),
    })  # fmt: skip
