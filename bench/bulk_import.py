"""Bulk import rate: `salesledger import` of a JSON Lines export into an empty PostgreSQL
store, beside PostgreSQL `COPY` of the same stored rows into a scratch table, in the same run.

    python -m bench.bulk_import --leads 1000     # quick
    python -m bench.bulk_import --leads 20000    # about 160,000 events
"""

from __future__ import annotations

import argparse
import io
import tempfile
from pathlib import Path

import psycopg2

from api.bootstrap import build
from bench.common import (
    Row,
    activity_log,
    rate,
    restore,
    scratch_database,
    scratch_settings,
    timed,
    write_results,
)

TARGET_EVENTS_PER_S = 20_000


def copy_text(rows: list) -> io.StringIO:
    """The stored rows in COPY's text format, built in memory before the clock starts."""
    buffer = io.StringIO()
    for row in rows:
        state = "\\\\x" + bytes(row.state).hex()
        buffer.write(f"{row.originator_id}\t{row.originator_version}\t{row.topic}\t{state}\n")
    buffer.seek(0)
    return buffer


def copy_rows(database_url: str, rows: list) -> float:
    buffer = copy_text(rows)
    connection = psycopg2.connect(database_url)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_copy (originator_id uuid, originator_version bigint, "
            "topic text, state bytea, PRIMARY KEY (originator_id, originator_version))"
        )
        connection.commit()
        _, seconds = timed(lambda: cursor.copy_expert("COPY bench_copy FROM STDIN", buffer))
        connection.commit()
    connection.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    log = activity_log(args.leads, args.seed)
    with tempfile.TemporaryDirectory() as folder, scratch_database("postgres") as url:
        container = build(scratch_settings(Path(folder), url))
        events, import_s = timed(lambda: restore(container.app, log))
        rows = container.app.recorder.select_notifications(start=1, limit=10**9)
        copy_s = copy_rows(url, rows)
        container.close()
    write_results(
        "import",
        [
            Row(
                "bulk import postgres (salesledger import)",
                "events/s",
                rate(events, import_s),
                rate(len(rows), copy_s),
                "PostgreSQL COPY of the same rows",
                TARGET_EVENTS_PER_S,
            )
        ],
        leads=args.leads,
        events=events,
        import_seconds=round(import_s, 2),
    )


if __name__ == "__main__":
    main()
