"""Append rate: commands through the application (load, decide, save), single writer, each in
its own durable commit — beside two baselines measured in the same run on the same store:
(a) raw single-row INSERT + COMMIT of rows of the same size, (b) the eventsourcing library
saving pre-built events one per transaction.

    python -m bench.append --commands 2000                      # SQLite and PostgreSQL
    python -m bench.append --commands 2000 --backend sqlite     # no servers needed
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg2

from api.bootstrap import build
from api.settings import Settings
from bench.common import Row, rate, scratch_database, scratch_settings, write_results
from domain.application import SalesPipeline
from domain.context import CommandContext
from store.event_store import open_pipeline

TARGETS = {"postgres": 1000, "sqlite": 2000}
RAW_RATIO_TARGET = {"postgres": 0.6, "sqlite": None}
OPPORTUNITIES = 200
ROUNDS = 5


def open_opportunities(app: SalesPipeline, count: int) -> list:
    ctx = CommandContext("bench", datetime(2026, 1, 1, tzinfo=UTC))
    return [
        app.open_opportunity(
            ctx, name=f"Deal {n}", customer="C", amount=Decimal(1000),
            expected_close=date(2027, 1, 1),
        ).id
        for n in range(count)
    ]  # fmt: skip


def through_the_application(
    app: SalesPipeline, opportunities: list, commands: int, first: int = 0
) -> float:
    """Amount changes, round robin over the opportunities: each one load, decide, save."""
    start = datetime(2026, 2, 1, tzinfo=UTC)
    started = time.perf_counter()
    for n in range(first, first + commands):
        ctx = CommandContext("bench", start + timedelta(seconds=n))
        app.change_opportunity_amount(
            ctx, opportunities[n % len(opportunities)], amount=Decimal(2000 + n)
        )
    return time.perf_counter() - started


def prebuilt_events(commands: int) -> list:
    """The same kind of events, built in memory beforehand, as stored events."""
    source = open_pipeline()
    opportunities = open_opportunities(source, OPPORTUNITIES)
    through_the_application(source, opportunities, commands)
    notifications = source.recorder.select_notifications(start=1, limit=10**9)
    return [n for n in notifications if n.originator_version > 1]


def saving_prebuilt(app: SalesPipeline, events: list) -> float:
    started = time.perf_counter()
    for event in events:
        app.recorder.insert_events([event])
    return time.perf_counter() - started


@contextmanager
def raw_table(settings: Settings, row_bytes: int) -> Iterator[Callable[[int, int], float]]:
    """A scratch table taking single-row INSERT + COMMIT of rows as large as the stored events,
    with the plain driver; yields `insert(first, count)`, which returns the seconds it took."""
    payload = b"x" * row_bytes
    if settings.database_url is None:
        connection = sqlite3.connect(settings.data_dir / "raw.sqlite")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        marker = "?"
    else:
        connection = psycopg2.connect(settings.database_url)
        marker = "%s"
    cursor = connection.cursor()
    cursor.execute("DROP TABLE IF EXISTS bench_raw")
    blob = "BYTEA" if marker == "%s" else "BLOB"
    cursor.execute(f"CREATE TABLE bench_raw (id BIGINT PRIMARY KEY, version INT, state {blob})")
    connection.commit()
    statement = f"INSERT INTO bench_raw (id, version, state) VALUES ({marker}, {marker}, {marker})"

    def insert(first: int, count: int) -> float:
        started = time.perf_counter()
        for n in range(first, first + count):
            cursor.execute(statement, (n, n, payload))
            connection.commit()
        return time.perf_counter() - started

    try:
        yield insert
    finally:
        cursor.execute("DROP TABLE bench_raw")
        connection.commit()
        connection.close()


def measure(backend: str, commands: int) -> list[Row]:
    with tempfile.TemporaryDirectory() as folder, scratch_database(backend) as database_url:
        settings = scratch_settings(Path(folder), database_url)
        container = build(settings)
        app = container.app
        opportunities = open_opportunities(app, OPPORTUNITIES)
        events = prebuilt_events(commands)  # other aggregates: no clash with the commands
        row_bytes = sum(len(e.state) for e in events) // len(events)
        # The three in turns, so that the machine's load drifting during the run (it is
        # shared) weighs on each alike.
        app_s = library_s = raw_s = 0.0
        per_round = commands // ROUNDS
        with raw_table(settings, row_bytes) as raw_insert:
            for first in range(0, per_round * ROUNDS, per_round):
                app_s += through_the_application(app, opportunities, per_round, first)
                library_s += saving_prebuilt(app, events[first : first + per_round])
                raw_s += raw_insert(first, per_round)
        commands = per_round * ROUNDS
        container.close()
    commands_per_s = rate(commands, app_s)
    return [
        Row(
            f"append {backend}",
            "commands/s",
            commands_per_s,
            rate(commands, raw_s),
            f"raw {'psycopg2' if backend == 'postgres' else 'sqlite3'} INSERT+COMMIT "
            f"({row_bytes} B rows)",
            TARGETS[backend],
            target_ratio=RAW_RATIO_TARGET[backend],
        ),
        Row(
            f"append {backend}",
            "commands/s",
            commands_per_s,
            rate(commands, library_s),
            "eventsourcing saving pre-built events",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument(
        "--backend", choices=["sqlite", "postgres", "both"], default="both", help="default: both"
    )
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    rows = [row for backend in backends for row in measure(backend, args.commands)]
    write_results("append", rows, commands=args.commands, opportunities=OPPORTUNITIES)


if __name__ == "__main__":
    main()
