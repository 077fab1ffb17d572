"""Placing a user in a team: the move is recorded as an event (the history reports count
by), then the user directory follows (what access checks read)."""

from __future__ import annotations

from api.bootstrap import Container
from api.users import UserError
from domain.context import CommandContext
from domain.results import CommandResult


def move_to_team(container: Container, actor: str, name: str, team: str | None) -> CommandResult:
    """`name` is in `team` (None: no team) from now on; their earlier work keeps its team."""
    user = container.users.get(name)
    if user is None:
        raise UserError(f"no user {name}")
    result = _record(container, actor, name, team, known_team=user.team)
    container.users.set_team(name, team)
    return result


def record_first_team(container: Container, actor: str, name: str, team: str) -> None:
    """A new user's team, recorded from the start (and holding before it: a user added after
    work was imported under their name counts that work for this team too)."""
    _record(container, actor, name, team, known_team=team)


def _record(
    container: Container, actor: str, name: str, team: str | None, known_team: str | None
) -> CommandResult:
    ctx = CommandContext(actor, container.clock.now())
    result = container.app.move_to_team(ctx, name, team, known_team=known_team)
    container.after_command()
    return result
