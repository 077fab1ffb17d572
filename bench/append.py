"""Append rate: commands through the application (load, decide, save), single writer, each in
its own durable commit — beside two baselines measured in the same run on the same store:
(a) raw single-row INSERT + COMMIT of rows of the same size, (b) the eventsourcing library
saving pre-built events one per transaction. Prints one JSON object.

    python -m bench.append --commands 2000
    python -m bench.append --commands 2000 --backend postgres   # needs `make services`
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg2

from api.bootstrap import build
from api.settings import Settings
from domain.application import SalesPipeline
from domain.context import CommandContext

RESULTS = Path(__file__).parent / "results"
TARGETS = {"postgres": 1000, "sqlite": 2000}
OPPORTUNITIES = 200


def open_opportunities(app: SalesPipeline, count: int) -> list:
    ctx = CommandContext("bench", datetime(2026, 1, 1, tzinfo=UTC))
    return [
        app.open_opportunity(
            ctx, name=f"Deal {n}", customer="C", amount=Decimal(1000),
            expected_close=date(2027, 1, 1),
        ).id
        for n in range(count)
    ]  # fmt: skip


def through_the_application(app: SalesPipeline, opportunities: list, commands: int) -> float:
    """Amount changes, round robin over the opportunities: each one load, decide, save."""
    start = datetime(2026, 2, 1, tzinfo=UTC)
    started = time.perf_counter()
    for n in range(commands):
        ctx = CommandContext("bench", start + timedelta(seconds=n))
        app.change_opportunity_amount(
            ctx, opportunities[n % len(opportunities)], amount=Decimal(2000 + n)
        )
    return time.perf_counter() - started


def prebuilt_events(commands: int) -> list:
    """The same kind of events, built in memory beforehand, as stored events."""
    source = SalesPipeline(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    opportunities = open_opportunities(source, OPPORTUNITIES)
    through_the_application(source, opportunities, commands)
    notifications = source.recorder.select_notifications(start=1, limit=10**9)
    return [n for n in notifications if n.originator_version > 1]


def saving_prebuilt(app: SalesPipeline, events: list) -> float:
    started = time.perf_counter()
    for event in events:
        app.recorder.insert_events([event])
    return time.perf_counter() - started


def raw_inserts(settings: Settings, row_bytes: int, commands: int) -> float:
    """Single-row INSERT + COMMIT of rows as large as the stored events, with the driver."""
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
    started = time.perf_counter()
    for n in range(commands):
        cursor.execute(
            f"INSERT INTO bench_raw (id, version, state) VALUES ({marker}, {marker}, {marker})",
            (n, n, payload),
        )
        connection.commit()
    elapsed = time.perf_counter() - started
    cursor.execute("DROP TABLE bench_raw")
    connection.commit()
    connection.close()
    return elapsed


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else 0.0


@contextmanager
def scratch_database(backend: str, folder: Path) -> Iterator[str | None]:
    """SQLite: files in the temporary folder. PostgreSQL: a database of its own, dropped after."""
    if backend == "sqlite":
        yield None
        return
    base = os.environ["SALESLEDGER_DATABASE_URL"]
    name = "bench_" + uuid.uuid4().hex[:10]
    admin = psycopg2.connect(base)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunparse(urlparse(base)._replace(path="/" + name))
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as folder,
        scratch_database(args.backend, Path(folder)) as database_url,
    ):
        settings = Settings(data_dir=Path(folder), database_url=database_url, kafka_bootstrap=None)
        container = build(settings)
        app = container.app
        opportunities = open_opportunities(app, OPPORTUNITIES)
        app_s = through_the_application(app, opportunities, args.commands)
        events = prebuilt_events(args.commands)  # other aggregates: no clash with the above
        library_s = saving_prebuilt(app, events)
        row_bytes = sum(len(e.state) for e in events) // len(events)
        raw_s = raw_inserts(settings, row_bytes, args.commands)
        container.close()
    figures = {
        "benchmark": "append",
        "backend": args.backend,
        "commands": args.commands,
        "event_bytes": row_bytes,
        "commands_per_s": rate(args.commands, app_s),
        "baseline_raw_insert_commit_per_s": rate(args.commands, raw_s),
        "baseline_library_prebuilt_per_s": rate(len(events), library_s),
        "ratio_to_raw": round(rate(args.commands, app_s) / rate(args.commands, raw_s), 3),
        "target_commands_per_s": TARGETS[args.backend],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"append-{args.backend}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
