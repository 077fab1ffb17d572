"""Shared fixtures: a controllable clock, an in-memory application, the HTTP API on a temp dir."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import Container, build
from api.settings import Settings
from api.users import Role
from domain.application import SalesPipeline
from domain.context import CommandContext
from store.event_store import open_pipeline

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # ISO week 2026-W48


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = MONDAY) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    def set(self, moment: datetime) -> None:
        self.current = moment


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app() -> Iterator[SalesPipeline]:
    application = open_pipeline(claim_limit=3)
    yield application
    application.close()


class Actor:
    """Makes command contexts for one user at the clock's current time."""

    def __init__(self, name: str, clock: FakeClock) -> None:
        self.name = name
        self.clock = clock

    def __call__(self) -> CommandContext:
        return CommandContext(self.name, self.clock.now())


@pytest.fixture
def ryan(clock: FakeClock) -> Actor:
    return Actor("ryan", clock)


@pytest.fixture
def rita(clock: FakeClock) -> Actor:
    return Actor("rita", clock)


@pytest.fixture
def maria(clock: FakeClock) -> Actor:
    return Actor("maria", clock)


USERS = (
    ("ada", Role.ADMIN, None),
    ("maria", Role.MANAGER, "east"),
    ("ryan", Role.REP, "east"),
    ("rita", Role.REP, "east"),
    ("wes", Role.MANAGER, "west"),
    ("will", Role.REP, "west"),
)


@pytest.fixture
def embedded_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], Path]:
    """Points the `salesledger` command at a data directory, in the embedded mode whatever the
    environment says (make test exports the services' URLs)."""

    def use(data_dir: Path) -> Path:
        monkeypatch.setenv("SALESLEDGER_DATA_DIR", str(data_dir))
        monkeypatch.delenv("SALESLEDGER_DATABASE_URL", raising=False)
        monkeypatch.delenv("SALESLEDGER_KAFKA_BOOTSTRAP", raising=False)
        return data_dir

    return use


@pytest.fixture
def container(tmp_path: Path, clock: FakeClock) -> Iterator[Container]:
    # Embedded mode, whatever the environment says (make test exports the services' URLs).
    # tokens valid for ten years: the tests' simulated months must not sign anyone out
    settings = Settings(
        data_dir=tmp_path / "data", claim_limit=3, database_url=None, kafka_bootstrap=None,
        token_days=3650,
    )  # fmt: skip
    built = build(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def tokens(container: Container, clock: FakeClock) -> dict[str, str]:
    return {name: container.users.add(name, role, team, clock.now()) for name, role, team in USERS}


class Api:
    """The HTTP API as a given user sees it."""

    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    def as_(self, user: str) -> UserClient:
        return UserClient(self.client, self.tokens[user])


class UserClient:
    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def post(self, path: str, json: dict | None = None, **headers: str):
        return self.client.post(path, json=json, headers={**self.headers, **headers})

    def put(self, path: str, json: dict | None = None):
        return self.client.put(path, json=json, headers=self.headers)

    def get(self, path: str, **params):
        return self.client.get(path, params=params, headers=self.headers)


@pytest.fixture
def api(container: Container, tokens: dict[str, str]) -> Iterator[Api]:
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield Api(client, tokens)
