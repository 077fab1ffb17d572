"""The production path through Kafka, each stage in its own process as deployed:

- relay: events/s from the PostgreSQL store to Kafka (`salesledger relay --once`), beside
  kafka-python producing the same serialized messages from memory with the same settings;
- projectors: events/s from Kafka into every PostgreSQL read model (`salesledger project
  --once`), beside kafka-python consuming the same topics without processing;
- scale-out: two `project --once` processes of one consumer group over the same topics (four
  partitions, two each), beside the single process of the same run;
- memory: peak RSS of each of those processes (and any children) over the run, against its
  RSS after start-up.

    python -m bench.kafka_path --leads 1000       # quick
    python -m bench.kafka_path --leads 125000     # about a million events (and the memory run)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaConsumer

from api.bootstrap import Container, build
from bench.common import (
    LOGS,
    Row,
    activity_log,
    kafka_bootstrap,
    rate,
    restore,
    scratch_database,
    scratch_settings,
    timed,
    tree_rss_mb,
    write_results,
)
from consumers.kafka_io import (
    delete_topics,
    encode,
    ensure_topics,
    headers_of,
    make_producer,
    partitions_of,
    topic_for,
)
from consumers.relay import RELAY, Relay

TARGETS = {"relay": 20_000, "relay_ratio": 0.7, "projectors": 10_000, "growth_mb": 50,
           "scale_out_ratio": 1.7}  # fmt: skip
PARTITIONS = 4  # two processes get two each: an even split
SAMPLE_SECONDS = 0.1
RELAY_BATCH = Relay.batch_size_default


@dataclass(frozen=True)
class ProcessRun:
    """A consumer process watched from outside: its throughput once it had started, and its
    memory after start-up and at its peak."""

    done: int
    seconds: float
    startup_rss_mb: float
    peak_rss_mb: float

    @property
    def growth_mb(self) -> float:
        return round(self.peak_rss_mb - self.startup_rss_mb, 1)


def watch(
    command: list[str],
    env: dict[str, str],
    progress: Callable[[], int],
    log: Path,
    copies: int = 1,
) -> ProcessRun:
    """Runs `salesledger <command>` (`copies` processes of it at once: one consumer group); the
    clock starts at the first progress (so start-up, imports and connecting, is left out) and
    stops when the last process ends; the start-up RSS is taken at that moment (of the
    processes together). A run too short to see progress before it ends is timed from its
    start, start-up included."""
    LOGS.mkdir(parents=True, exist_ok=True)
    salesledger = Path(sys.executable).parent / "salesledger"
    with log.open("w") as output:
        spawned = time.perf_counter()
        running = [subprocess.Popen([str(salesledger), *command], env=env, stderr=output)
                   for _ in range(copies)]  # fmt: skip
        first: tuple[float, int] | None = None
        startup = peak = 0.0
        while any(p.poll() is None for p in running):
            now, done = time.perf_counter(), progress()
            try:
                alive = [p for p in running if p.poll() is None]
                rss = sum(tree_rss_mb(p.pid) for p in alive)
                peak = max(peak, sum(tree_rss_mb(p.pid, "VmHWM") for p in alive))
            except (FileNotFoundError, LookupError):
                continue  # one has just exited
            if first is None and done > 0:
                first, startup = (now, done), rss
            startup = startup or rss
            time.sleep(SAMPLE_SECONDS)
        ended = time.perf_counter()
    if any(p.wait() != 0 for p in running):
        raise SystemExit(f"salesledger {' '.join(command)} failed: see {log}")
    total = progress()
    if first is None or first[1] == total:  # all of it happened before the first sample
        first = (spawned, 0)
    return ProcessRun(total - first[1], ended - first[0], startup or peak, peak)


def produce_from_memory(container: Container, bootstrap: str, prefix: str) -> tuple[int, float]:
    """The relay's messages, serialized beforehand, produced with the relay's settings."""
    ensure_topics(bootstrap, prefix, container.settings.kafka_partitions)
    messages = [
        (topic_for(prefix, e["aggregate_type"]), e["aggregate_id"].encode(), encode(e),
         headers_of(e))
        for e in container.public_envelopes()
    ]  # fmt: skip
    producer = make_producer(bootstrap)

    def send_all() -> None:
        # In the relay's batches, each acknowledged before the next, as the relay does.
        for start in range(0, len(messages), RELAY_BATCH):
            futures = [
                producer.send(t, key=k, value=v, headers=h)
                for t, k, v, h in messages[start : start + RELAY_BATCH]
            ]
            producer.flush()
            for future in futures:
                future.get()

    _, seconds = timed(send_all)
    producer.close()
    return len(messages), seconds


def consume_without_processing(bootstrap: str, prefix: str) -> tuple[int, float]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    partitions = partitions_of(consumer, prefix)
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends = consumer.end_offsets(partitions)
    total = sum(ends.values())

    def read_all() -> int:
        count = 0
        while count < total:
            for messages in consumer.poll(timeout_ms=500, max_records=5000).values():
                count += len(messages)
        return count

    count, seconds = timed(read_all)
    consumer.close()
    return count, seconds


def two_projectors(settings, env: dict[str, str], names: list[str]) -> ProcessRun:
    """Two `project --once` processes of one group over the same topics, into read models of
    a database of their own (so they start from nothing, as the single process did)."""
    with scratch_database("postgres") as url:
        fresh = build(settings.model_copy(update={"database_url": url}))  # creates the tables
        try:
            return watch(
                ["project", "--once"],
                env | {"SALESLEDGER_DATABASE_URL": url},
                lambda: sum(sum(fresh.docs.positions(n).values()) for n in names),
                LOGS / "projectors-2.log",
                copies=2,
            )
        finally:
            fresh.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    bootstrap = kafka_bootstrap()
    log = activity_log(args.leads, args.seed)
    with (
        tempfile.TemporaryDirectory() as folder,
        scratch_database("postgres") as url,
        ExitStack() as cleanup,
    ):
        settings = scratch_settings(
            Path(folder), url, kafka_bootstrap=bootstrap, kafka_partitions=PARTITIONS
        )
        cleanup.callback(delete_topics, bootstrap, settings.topic_prefix)  # and its "-raw" twin
        container = build(settings)
        restore(container.app, log)
        last = container.app.last_position()
        published = sum(1 for _ in container.public_envelopes())
        raw_sent, raw_send_s = produce_from_memory(
            container, bootstrap, settings.topic_prefix + "-raw"
        )
        env = os.environ | {
            "SALESLEDGER_DATA_DIR": folder,
            "SALESLEDGER_DATABASE_URL": url,
            "SALESLEDGER_KAFKA_BOOTSTRAP": bootstrap,
            "SALESLEDGER_TOPIC_PREFIX": settings.topic_prefix,
            "SALESLEDGER_KAFKA_PARTITIONS": str(PARTITIONS),
        }
        relay = watch(
            ["relay", "--once"], env, lambda: container.positions.get(RELAY), LOGS / "relay.log"
        )
        if container.positions.get(RELAY) != last:
            raise SystemExit("the relay stopped before the end of the log")
        names = [p.name for p in container.projections]
        projectors = watch(
            ["project", "--once"],
            env,
            lambda: sum(sum(container.docs.positions(n).values()) for n in names),
            LOGS / "projectors.log",
        )
        raw_read, raw_read_s = consume_without_processing(bootstrap, settings.topic_prefix)
        container.close()
        two = two_projectors(settings, env, names)

    # The relay's progress is in log entries; a share of them are internal and not published.
    relay_events_per_s = rate(relay.done * published // last, relay.seconds)
    # Each read model reads every event: all of them together have processed done / models.
    projector_events_per_s = rate(projectors.done // len(names), projectors.seconds)
    two_events_per_s = rate(two.done // len(names), two.seconds)
    rows = [
        Row("relay store → Kafka", "events/s", relay_events_per_s, rate(raw_sent, raw_send_s),
            "kafka-python producing the same messages from memory", TARGETS["relay"],
            target_ratio=TARGETS["relay_ratio"]),
        Row(f"projectors Kafka → {len(names)} PostgreSQL read models", "events/s",
            projector_events_per_s, rate(raw_read, raw_read_s),
            "kafka-python consuming the same topics, no processing", TARGETS["projectors"]),
        Row(f"2 projector processes, one group, {PARTITIONS} partitions", "events/s",
            two_events_per_s, projector_events_per_s,
            "1 projector process over the same topics, same run",
            target_ratio=TARGETS["scale_out_ratio"]),
        Row(f"relay RSS growth over {published:,} events", "MB", relay.growth_mb,
            relay.startup_rss_mb, "RSS after start-up (MB)", TARGETS["growth_mb"],
            higher_is_better=False),
        Row(f"projector RSS growth over {published:,} events", "MB", projectors.growth_mb,
            projectors.startup_rss_mb, "RSS after start-up (MB)", TARGETS["growth_mb"],
            higher_is_better=False),
    ]  # fmt: skip
    write_results(
        "kafka_path",
        rows,
        leads=args.leads,
        log_entries=last,
        published_events=published,
        relay_seconds=round(relay.seconds, 2),
        projector_seconds=round(projectors.seconds, 2),
        two_projectors_seconds=round(two.seconds, 2),
        partitions=PARTITIONS,
        relay_peak_rss_mb=relay.peak_rss_mb,
        projector_peak_rss_mb=projectors.peak_rss_mb,
        read_models=names,
    )


if __name__ == "__main__":
    main()
