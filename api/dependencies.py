"""What handlers need: the container, the calling user, the command context, If-Match.

The dependencies are `async def` because they are quick: FastAPI runs a plain `def`
dependency in its thread pool, and the hand-off to and from a worker thread cost more than the
work itself. A command takes one dependency (`api.commands.command_call`) that calls the
helpers here: resolving each as a dependency of its own cost FastAPI more than the helpers
themselves. Authentication reads the token's user from the database (one indexed read on a
reader connection), so a deactivated user is refused at once.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated
from uuid import uuid4

from fastapi import Depends, Header, Request

from api.bootstrap import Container
from api.idempotency import fingerprint
from api.problems import ApiProblem
from api.users import User
from domain.context import CommandContext

MAX_HEADER_TOKEN = 200
VERSION_PATTERN = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')


async def get_container(request: Request) -> Container:
    return request.app.state.container


async def report_slot(request: Request) -> AsyncIterator[None]:
    """Holds one of the process's report slots while a report is answered (see
    `api.app.report_slots`); a request waits for one in the event loop, not in a thread."""
    async with request.app.state.report_slots:
        yield


ContainerDep = Annotated[Container, Depends(get_container)]


async def current_user(
    container: ContainerDep, authorization: Annotated[str | None, Header()] = None
) -> User:
    return authenticated(container, authorization)


UserDep = Annotated[User, Depends(current_user)]


def authenticated(container: Container, authorization: str | None) -> User:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(401, "Unauthorized", "send Authorization: Bearer <token>", "Authorization")
    token = token.strip()
    provider = container.identity_provider
    if provider is not None and provider.looks_like_jwt(token):
        user, refused = provider.user_of(token, container.users, container.clock.now())
    else:
        user, refused = container.users.check_token(token, container.clock.now())
    if user is None:
        raise ApiProblem(401, "Unauthorized", refused, "Authorization")
    return user


def command_context(
    container: Container, user: User, x_correlation_id: str | None
) -> CommandContext:
    if x_correlation_id is not None and not 0 < len(x_correlation_id) <= MAX_HEADER_TOKEN:
        raise ApiProblem(
            422,
            "Invalid Header",
            "X-Correlation-Id must be 1 to 200 characters",
            "X-Correlation-Id",
        )
    return CommandContext(
        actor=user.name, at=container.clock.now(), correlation_id=x_correlation_id or str(uuid4())
    )


def expected_version(if_match: str | None) -> int | None:
    """The aggregate version the client last saw, from If-Match ("3", 3 or W/"3")."""
    if if_match is None or if_match.strip() in ("*", ""):  # empty: no precondition
        return None
    match = VERSION_PATTERN.match(if_match.strip())
    if match is None:
        raise ApiProblem(
            422, "Invalid Header", 'If-Match must be an aggregate version, e.g. "3"', "If-Match"
        )
    return int(match.group(1))


async def request_fingerprint(request: Request) -> str:
    return fingerprint(request.method, request.url.path, await request.body())
