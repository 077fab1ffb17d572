"""Running a command: at most once per Idempotency-Key, then delivering its events in-process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse

from api.bootstrap import Container
from api.dependencies import (
    MAX_HEADER_TOKEN,
    authenticated,
    command_context,
    expected_version,
    request_fingerprint,
)
from api.idempotency import StoredResponse
from api.problems import ApiProblem
from api.users import User
from domain.context import CommandContext
from domain.published import json_ready
from domain.results import CommandResult

REPLAY_HEADER = "Idempotent-Replayed"


def run_command(
    request: Request,
    container: Container,
    user: User,
    request_fingerprint: str,
    action: Callable[[], dict[str, Any]],
    status_code: int = 200,
) -> JSONResponse:
    """Runs the action, or replays the first answer to the same Idempotency-Key."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return _respond(container, json_ready(action()), status_code)
    if not 0 < len(key) <= MAX_HEADER_TOKEN:
        raise ApiProblem(
            422, "Invalid Header", "Idempotency-Key must be 1 to 200 characters", "Idempotency-Key"
        )
    store = container.idempotency
    if not store.claim(user.name, key, request_fingerprint, container.clock.now()):
        return _replay(store.find(user.name, key), request_fingerprint)
    try:
        body = json_ready(action())
    except BaseException:
        store.release(user.name, key)  # nothing was done: a retry may run it
        raise
    store.complete(user.name, key, status_code, body)
    return _respond(container, body, status_code)


def _replay(stored: StoredResponse | None, request_fingerprint: str) -> JSONResponse:
    """The first answer to this key, if it was for the same request and has finished."""
    if stored is None:
        raise ApiProblem(
            409,
            "Conflict",
            "the request with this Idempotency-Key just failed; retry it",
            "Idempotency-Key",
        )
    if stored.fingerprint != request_fingerprint:
        raise ApiProblem(
            422,
            "Idempotency Key Reused",
            "this Idempotency-Key was used for a different request",
            "Idempotency-Key",
        )
    if not stored.finished:
        raise ApiProblem(
            409,
            "Conflict",
            "a request with this Idempotency-Key is still running; retry later",
            "Idempotency-Key",
        )
    return JSONResponse(stored.body, stored.status, headers={REPLAY_HEADER: "true"})


def _respond(container: Container, body: Any, status_code: int) -> JSONResponse:
    """The answer to a command that succeeded, after delivering its events in-process."""
    container.after_command()
    return JSONResponse(body, status_code)


@dataclass(frozen=True)
class CommandCall:
    """One command request: who calls, with which context, If-Match and body fingerprint."""

    request: Request
    container: Container
    user: User
    ctx: CommandContext
    expected_version: int | None
    fingerprint: str

    @property
    def teams(self) -> dict[str, str | None]:
        return self.container.users.teams()

    def run(self, action: Callable[[], dict[str, Any]], status_code: int = 200) -> JSONResponse:
        return run_command(
            self.request, self.container, self.user, self.fingerprint, action, status_code
        )

    def run_versioned(
        self, action: Callable[[], CommandResult], status_code: int = 200
    ) -> JSONResponse:
        """Runs a command whose answer is the aggregate's id and new version."""
        return self.run(lambda: version_body(action()), status_code)


def version_body(result: CommandResult) -> dict[str, Any]:
    return {"id": result.id, "version": result.version}


async def command_call(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_correlation_id: Annotated[str | None, Header()] = None,
    if_match: Annotated[str | None, Header()] = None,
) -> CommandCall:
    container: Container = request.app.state.container
    user = authenticated(container, authorization)
    return CommandCall(
        request,
        container,
        user,
        command_context(container, user, x_correlation_id),
        expected_version(if_match),
        await request_fingerprint(request),
    )


CallDep = Annotated[CommandCall, Depends(command_call)]
