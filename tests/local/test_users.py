"""The user directory kept in memory: quick to ask, and never blind to another process's users."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.users import Role, UserDirectory
from store.database import Database

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def two_processes(tmp_path):
    """Two directories over one database, as the API and the `salesledger users` command."""
    ticks = Ticks()
    path = str(tmp_path / "users.sqlite")
    api = UserDirectory(Database.sqlite(path), refresh_seconds=2, monotonic=ticks)
    cli = UserDirectory(Database.sqlite(path))
    yield api, cli, ticks
    api.db.close()
    cli.db.close()


def test_a_user_added_by_another_process_signs_in_at_once(two_processes):
    api, cli, _ = two_processes
    api.add("maria", Role.MANAGER, "east", NOW)
    assert api.teams() == {"maria": "east"}  # the directory is in memory now
    token = cli.add("ryan", Role.REP, "east", NOW)
    user = api.authenticate(token)
    assert (user.name, user.role, user.team) == ("ryan", Role.REP, "east")


def test_an_unknown_token_is_refused(two_processes):
    api, _, _ = two_processes
    api.add("maria", Role.MANAGER, "east", NOW)
    assert api.authenticate("not-a-token") is None


def test_teams_show_another_processs_user_after_the_refresh_interval(two_processes):
    api, cli, ticks = two_processes
    api.add("maria", Role.MANAGER, "east", NOW)
    assert api.teams() == {"maria": "east"}
    cli.add("will", Role.REP, "west", NOW)
    ticks.now = 1.9
    assert "will" not in api.teams()
    ticks.now = 2.0
    assert api.teams() == {"maria": "east", "will": "west"}


def test_a_user_added_here_is_in_the_teams_at_once(two_processes):
    api, _, _ = two_processes
    api.add("maria", Role.MANAGER, "east", NOW)
    api.teams()
    api.add("ryan", Role.REP, "east", NOW)
    assert api.teams() == {"maria": "east", "ryan": "east"}
