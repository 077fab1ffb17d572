"""Rebuild rate of all read models from the event store, beside the raw rate of reading the
same events from the same store, measured in the same run. Prints one JSON object.

    python -m bench.rebuild --leads 20000            # quick
    python -m bench.rebuild --leads 130000           # about a million events
    python -m bench.rebuild --leads 20000 --backend postgres   # needs `make services`
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from api.bootstrap import build
from api.demo_data import ActivityGenerator, teams_of
from api.settings import Settings
from domain.application import SalesPipeline
from projections.rebuild import rebuild
from projections.replay import fold_log

RESULTS = Path(__file__).parent / "results"
TARGET_EVENTS_PER_S = 50_000
READ_BATCH = 5000


def generate(leads: int, seed: int) -> SalesPipeline:
    """Plays the seeded activity in memory (the quickest way to make a realistic log)."""
    app = SalesPipeline(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo", "AGGREGATE_CACHE_MAXSIZE": "50000"},
        claim_limit=10**9,
    )
    ActivityGenerator(app, seed=seed, teams=teams_of(4, 10)).run(leads)
    return app


def copy_log(source: SalesPipeline, target: SalesPipeline, chunk: int = 5000) -> int:
    """Copies the stored events as they are, in order, in large transactions."""
    position = 0
    while True:
        notifications = source.recorder.select_notifications(
            start=position, limit=chunk, inclusive_of_start=False
        )
        if not notifications:
            return position
        target.recorder.insert_events(list(notifications))
        position = notifications[-1].id


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else 0.0


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            data_dir=Path(folder),
            database_url=os.environ["SALESLEDGER_DATABASE_URL"]
            if args.backend == "postgres"
            else None,
            kafka_bootstrap=None,
            aggregate_cache=0,
        )
        container = build(settings)
        if container.app.last_position():
            raise SystemExit("the benchmark needs an empty store")
        source, generate_s = timed(lambda: generate(args.leads, args.seed))
        positions, load_s = timed(lambda: copy_log(source, container.app))

        def raw_read() -> int:
            count = position = 0
            while batch := container.app.recorder.select_notifications(
                start=position, limit=READ_BATCH, inclusive_of_start=False
            ):
                count += len(batch)
                position = batch[-1].id
            return count

        read_count, read_s = timed(raw_read)
        envelopes, decode_s = timed(lambda: sum(1 for _ in container.public_envelopes()))
        folded, fold_s = timed(
            lambda: fold_log(container.projections, container.public_envelopes())
        )
        rebuilt, rebuild_s = timed(
            lambda: rebuild(container.projections, container.public_envelopes, container.docs)
        )
        docs = sum(len(s.docs) for s in rebuilt.states.values())
        container.close()

    figures = {
        "benchmark": "rebuild",
        "backend": args.backend,
        "leads": args.leads,
        "log_entries": read_count,
        "published_events": envelopes,
        "documents_written": docs,
        "baseline_raw_read_per_s": rate(read_count, read_s),
        "read_and_decode_per_s": rate(envelopes, decode_s),
        "fold_in_memory_per_s": rate(folded.events, fold_s),
        "rebuild_per_s": rate(rebuilt.events, rebuild_s),
        "rebuild_seconds": round(rebuild_s, 2),
        "ratio_to_raw_read": round(rate(rebuilt.events, rebuild_s) / rate(read_count, read_s), 3),
        "target_per_s": TARGET_EVENTS_PER_S,
        "setup": {"generate_s": round(generate_s, 1), "load_s": round(load_s, 1)},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"rebuild-{args.backend}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
