"""Running a command: at most once per Idempotency-Key, then delivering its events in-process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from api.access import check_rep_target
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
from api.responses import JSONResponse
from api.users import Role, User
from domain.context import CommandContext
from domain.published import json_ready
from domain.results import CommandResult, ConversionResult, ScoreResult, recorded_result
from store.log_reader import LogReader

REPLAY_HEADER = "Idempotent-Replayed"
Action = Callable[[], CommandResult]


def result_body(result: CommandResult) -> dict[str, Any]:
    """The answer to a command: the aggregate's id and new version, and what the result adds."""
    body: dict[str, Any] = {"id": result.id, "version": result.version}
    if isinstance(result, ScoreResult):
        body = {"score": result.score, "tier": result.tier, **body}
    if isinstance(result, ConversionResult):
        body = {
            "opportunity_id": result.opportunity_id,
            "opportunity_version": result.opportunity_version,
            **body,
        }
    return json_ready(body)


@dataclass(frozen=True)
class CommandCall:
    """One command request: who calls, with which context, If-Match and body fingerprint."""

    request: Request
    container: Container
    user: User
    ctx: CommandContext
    expected_version: int | None
    fingerprint: str
    idempotency_key: str | None

    @property
    def teams(self) -> dict[str, str | None]:
        return self.container.users.teams()

    def check_target(self, rep: str, field: str = "rep") -> None:
        """A user named to take work: known, within the caller's reach, and still active; in a
        field named `rep`, a rep."""
        check_rep_target(self.user, rep, self.teams, field)
        named = self.container.users.get(rep)
        if named is not None and not named.active:
            raise ApiProblem(409, "Conflict", f"{rep} is deactivated and takes no work", field)
        if named is not None and field == "rep" and named.role != Role.REP:
            raise ApiProblem(
                422, "Invalid Value", f"{rep} is a {named.role.value}, not a rep", field
            )

    def run(self, action: Action, status_code: int = 200) -> JSONResponse:
        """Runs the command, or answers what it answered the first time this Idempotency-Key
        was sent."""
        if self.idempotency_key is None:
            return self._respond(result_body(action()), status_code)
        store, key, name = self.container.idempotency, self.idempotency_key, self.user.name
        claimed = store.claim(
            name, key, self.fingerprint, self._now(), self.ctx.correlation_id, self._position()
        )
        if not claimed:
            stored = store.find(name, key)
            if stored is None or stored.finished or not self._abandoned(stored):
                return _replay(stored, self.fingerprint)
            recovered = self._recover(stored, status_code)
            if recovered is not None:
                return recovered
        try:
            body = result_body(action())
        except BaseException:
            store.release(name, key)  # nothing was done: a retry may run it
            raise
        store.complete(name, key, status_code, body)
        return self._respond(body, status_code)

    @property
    def _bound(self) -> timedelta:
        """How long a command may take: an unfinished claim older than this was abandoned."""
        return timedelta(seconds=self.container.settings.idempotency_timeout)

    def _abandoned(self, stored: StoredResponse) -> bool:
        return (
            stored.fingerprint == self.fingerprint and stored.claimed_at + self._bound < self._now()
        )

    def _recover(self, abandoned: StoredResponse, status_code: int) -> JSONResponse | None:
        """After the process that claimed the key died: the command's answer, rebuilt from the
        events it stored; or None once this request has taken the claim to run the command."""
        store, key, name = self.container.idempotency, self.idempotency_key, self.user.name
        assert key is not None
        if abandoned.correlation_id is not None and abandoned.after_position is not None:
            envelopes = LogReader(self.container.app).envelopes_of_command(
                abandoned.after_position,
                abandoned.correlation_id,
                name,
                decided_by=abandoned.claimed_at + self._bound,
            )
            result = recorded_result(envelopes)
            if result is not None:
                body = result_body(result)
                store.complete(name, key, status_code, body)
                return JSONResponse(body, status_code, headers={REPLAY_HEADER: "true"})
        took = store.take_over(
            name, key, abandoned, self._now(), self.ctx.correlation_id, self._position()
        )
        if took:
            return None
        return _replay(store.find(name, key), self.fingerprint)  # another retry was first

    def _respond(self, body: Any, status_code: int) -> JSONResponse:
        """The answer to a command that succeeded, after delivering its events in-process."""
        self.container.after_command()
        return JSONResponse(body, status_code)

    def _now(self) -> datetime:
        return self.container.clock.now()

    def _position(self) -> int:
        return self.container.app.last_position()


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


async def command_call(
    request: Request,
    authorization: Annotated[str | None, Header(description="Bearer <token>")] = None,
    x_correlation_id: Annotated[
        str | None, Header(max_length=MAX_HEADER_TOKEN, description="ties the events together")
    ] = None,
    if_match: Annotated[
        str | None,
        Header(pattern=r'^[ \t]*((W/)?"?\d{1,9}"?|\*)?[ \t]*$', description='"<version>"'),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Header(min_length=1, max_length=MAX_HEADER_TOKEN, description="retries act once"),
    ] = None,
) -> CommandCall:
    container: Container = request.app.state.container
    user = authenticated(container, authorization)
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_HEADER_TOKEN:
        raise ApiProblem(
            422, "Invalid Header", "Idempotency-Key must be 1 to 200 characters", "Idempotency-Key"
        )
    # Without a correlation id of the caller's, the command's events carry its key: a retry
    # after a crash finds them by it.
    return CommandCall(
        request,
        container,
        user,
        command_context(container, user, x_correlation_id or idempotency_key),
        expected_version(if_match),
        await request_fingerprint(request),
        idempotency_key,
    )


CallDep = Annotated[CommandCall, Depends(command_call)]
