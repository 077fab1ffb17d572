"""Rebuild rate of all read models from the event store, beside the raw rate of reading the
same events from the same store, measured in the same run.

    python -m bench.rebuild --leads 2000                       # quick
    python -m bench.rebuild --leads 125000                     # about a million events
    python -m bench.rebuild --leads 2000 --backend postgres    # needs `make services`
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from api.bootstrap import build, rebuild_read_models
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
from consumers.rebuild_jobs import default_jobs
from projections.rebuild import collector_paused
from projections.replay import fold_log

TARGET_EVENTS_PER_S = 50_000
READ_BATCH = 5000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    log = activity_log(args.leads, args.seed)

    with tempfile.TemporaryDirectory() as folder, scratch_database(args.backend) as url:
        container = build(scratch_settings(Path(folder), url, aggregate_cache=0))
        _, load_s = timed(lambda: restore(container.app, log))
        recorder = container.app.recorder

        def raw_read() -> int:
            """The rows as the store gives them (plain tuples), nothing decoded."""
            count = position = 0
            while batch := recorder.select_log_rows(position, READ_BATCH):
                count += len(batch)
                position = batch[-1][0]
            return count

        read_count, read_s = timed(raw_read)
        with collector_paused():  # as the rebuild itself runs
            envelopes, decode_s = timed(lambda: sum(1 for _ in container.public_envelopes()))
            folded, fold_s = timed(
                lambda: fold_log(container.projections, container.public_envelopes())
            )
        jobs = default_jobs(container.app.last_position())  # as `salesledger rebuild` chooses
        rebuilt, rebuild_s = timed(
            lambda: rebuild_read_models(container, container.projections, None, jobs)
        )
        docs = sum(len(container.docs.all_docs(p.name)) for p in container.projections)
        container.close()

    raw = rate(read_count, read_s)
    rows = [
        Row(
            f"rebuild {args.backend} (all read models)",
            "events/s",
            rate(rebuilt.events, rebuild_s),
            raw,
            "reading the same log rows from the store",
            TARGET_EVENTS_PER_S,
        ),
        Row(f"rebuild {args.backend}: read + decode only", "events/s", rate(envelopes, decode_s),
            raw, "reading the same log rows from the store"),
        Row(f"rebuild {args.backend}: read + decode + fold, no writes", "events/s",
            rate(folded.events, fold_s), raw, "reading the same log rows from the store"),
    ]  # fmt: skip
    write_results(
        "rebuild",
        rows,
        backend=args.backend,
        leads=args.leads,
        log_entries=read_count,
        published_events=envelopes,
        documents_written=docs,
        rebuild_seconds=round(rebuild_s, 2),
        rebuild_processes=jobs,
        restore_seconds=round(load_s, 1),
    )


if __name__ == "__main__":
    main()
