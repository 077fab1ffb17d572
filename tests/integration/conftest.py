"""Real PostgreSQL and Kafka, as `make services` starts them: a fresh database and topic prefix
for every test, so tests neither see nor disturb each other's data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg2
import pytest

from api.bootstrap import Container, build, projector_of, relay_of
from api.settings import Settings
from bench.common import drop_database
from consumers.kafka_io import delete_topics
from consumers.projector import KafkaProjector, drain
from consumers.relay import Relay

ROOT = Path(__file__).resolve().parents[2]
SERVICES_ENV = ROOT / ".services" / "env"


def _service_settings() -> dict[str, str]:
    found = {
        key: os.environ[key]
        for key in ("SALESLEDGER_DATABASE_URL", "SALESLEDGER_KAFKA_BOOTSTRAP")
        if os.environ.get(key)
    }
    if len(found) < 2 and SERVICES_ENV.exists():
        for line in SERVICES_ENV.read_text().splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            found.setdefault(key, value)
    return found


SERVICES = _service_settings()


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def services() -> dict[str, str]:
    if len(SERVICES) < 2:
        message = "PostgreSQL and Kafka are not running: start them with `make services`"
        if os.environ.get("CI"):
            pytest.fail(message)  # in CI a skip would hide that nothing was tested
        pytest.skip(message)
    return SERVICES


@pytest.fixture
def database_url(services) -> Iterator[str]:
    """A database of its own for one test, dropped afterwards."""
    base = services["SALESLEDGER_DATABASE_URL"]
    name = "sl_test_" + uuid.uuid4().hex[:12]
    admin = psycopg2.connect(base)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    admin.close()
    url = urlunparse(urlparse(base)._replace(path="/" + name))
    yield url
    admin = psycopg2.connect(base)  # a connection of its own: the test may restart the server
    admin.autocommit = True
    drop_database(admin, name)
    admin.close()


@pytest.fixture
def kafka(services) -> str:
    return services["SALESLEDGER_KAFKA_BOOTSTRAP"]


@pytest.fixture(scope="session")
def session_topics(services) -> Iterator[list[str]]:
    """The topic prefixes the tests used, their topics deleted once at the end of the session:
    deleting them after each test kept the broker busy deleting while the next test created
    and subscribed to its own (a projector once missed its topics' metadata)."""
    prefixes: list[str] = []
    yield prefixes
    if prefixes:
        delete_topics(services["SALESLEDGER_KAFKA_BOOTSTRAP"], tuple(prefixes))


@pytest.fixture
def topic_prefix(session_topics) -> str:
    """Topics of its own for one test (deleted when the session ends)."""
    prefix = "test" + uuid.uuid4().hex[:10]
    session_topics.append(prefix)
    return prefix


@pytest.fixture
def production_settings(database_url, kafka, topic_prefix, tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        kafka_bootstrap=kafka,
        topic_prefix=topic_prefix,
        claim_limit=3,
        relay_gap_timeout=0.5,
    )


class Pipeline:
    """The relay and the projector of one container, pumped until nothing is left to move."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.relay: Relay = relay_of(container)
        self.projector: KafkaProjector = projector_of(container)
        self.projector.poll_ms = 50

    def drain(self) -> None:
        while self.relay.run_once():
            pass
        drain(self.projector, max_polls=400)

    def close(self) -> None:
        self.projector.close()
        self.relay.close()


@pytest.fixture
def production(production_settings, clock) -> Iterator[Container]:
    """A container in production shape: PostgreSQL store and read models, Kafka between."""
    built = build(production_settings, clock=clock)
    yield built
    built.close()


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Polls an outside process's progress; the deadline only bounds a hung test."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


class Process:
    """A `salesledger` command running as its own process, as in production."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "api.cli", *self.args],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def kill_9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: a clean stop after the batch in hand
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def processes(production_settings, tmp_path) -> Iterator[Callable[[list[str]], Process]]:
    env = {
        **os.environ,
        "SALESLEDGER_DATA_DIR": str(production_settings.data_dir),
        "SALESLEDGER_DATABASE_URL": production_settings.database_url,
        "SALESLEDGER_KAFKA_BOOTSTRAP": production_settings.kafka_bootstrap,
        "SALESLEDGER_TOPIC_PREFIX": production_settings.topic_prefix,
        "SALESLEDGER_RELAY_GAP_TIMEOUT": "0.5",
    }
    started: list[Process] = []

    def make(args: list[str]) -> Process:
        process = Process(args, env, tmp_path / f"{args[0]}.log")
        started.append(process)
        return process

    yield make
    for process in started:
        process.stop()
