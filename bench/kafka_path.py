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
    children_cpu,
    cpu_seconds,
    cpu_used,
    kafka_bootstrap,
    machine_cpu,
    rate,
    restore,
    scratch_database,
    scratch_settings,
    still_seen,
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
MACHINE_EVERY = 10  # samples between two readings of every process's CPU (it reads all /proc)
RELAY_BATCH = Relay.batch_size_default


@dataclass(frozen=True)
class ProcessRun:
    """A consumer process watched from outside: its throughput once it had started, and its
    memory after start-up and at its peak."""

    done: int
    seconds: float
    startup_rss_mb: float
    peak_rss_mb: float
    cpu_s: float  # CPU the processes (and their children) used over the timed part
    own_cpu_s: float  # the processes' own, children left out (the relay's sender alone)
    machine_cpu_s: dict[str, float]  # the machine's cores, the broker, PostgreSQL (cpu_used)

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
    children_before = children_cpu()
    machine_before = machine_at_spawn = machine_cpu()
    machine_seen = machine_at_spawn
    startup_cpu = startup_own = own = 0.0
    samples = 0
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
                own = sum(cpu_seconds(p.pid, children=False) for p in alive)  # last seen
                peak = max(peak, sum(tree_rss_mb(p.pid, "VmHWM") for p in alive))
            except (OSError, LookupError):  # FileNotFoundError, or ProcessLookupError mid-read
                continue  # one has just exited
            if first is None and done > 0:
                first, startup = (now, done), rss
                machine_before = machine_seen = machine_cpu()
                startup_cpu, startup_own = sum(cpu_seconds(p.pid) for p in alive), own
            startup = startup or rss
            samples += 1
            if samples % MACHINE_EVERY == 0:  # a database connection's process ends with it
                machine_seen = still_seen(machine_seen, machine_cpu())
            time.sleep(SAMPLE_SECONDS)
        ended = time.perf_counter()
        machine_after = still_seen(machine_seen, machine_cpu())
    if any(p.wait() != 0 for p in running):
        raise SystemExit(f"salesledger {' '.join(command)} failed: see {log}")
    total = progress()
    if first is None or first[1] == total:  # all of it happened before the first sample
        first, startup_cpu, startup_own, machine_before = (spawned, 0), 0, 0, machine_at_spawn
    cpu_s = round(children_cpu() - children_before - startup_cpu, 2)
    return ProcessRun(
        total - first[1], ended - first[0], startup or peak, peak, cpu_s,
        round(own - startup_own, 2), cpu_used(machine_before, machine_after),
    )  # fmt: skip


@dataclass(frozen=True)
class RawRun:
    """The raw producer's run: messages, seconds, its own CPU and the machine's (as above)."""

    sent: int
    seconds: float
    cpu_s: float
    machine_cpu_s: dict[str, float]


def produce_from_memory(container: Container, bootstrap: str, prefix: str) -> RawRun:
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

    machine_before, own_before = machine_cpu(), _own_cpu()
    _, seconds = timed(send_all)
    own, machine = _own_cpu() - own_before, cpu_used(machine_before, machine_cpu())
    producer.close()
    return RawRun(len(messages), seconds, round(own, 2), machine)


def _own_cpu() -> float:
    """CPU seconds of this process, every thread (the producer's sender thread) included."""
    times = os.times()
    return times.user + times.system


def relay_cpu_rows(relay: ProcessRun, raw: RawRun, events: int) -> list[Row]:
    """Where the relay's time goes, beside the raw producer's: the cores the machine had busy,
    and CPU per event of the relay's processes (reading, encoding, producing), the broker and
    PostgreSQL. On this machine the broker, the database and the relay share two cores: when
    they are all busy, the relay is bound by the machine, not by its own code."""
    cores = os.cpu_count() or 1

    def per_event_us(seconds: float, count: int) -> float:
        return round(seconds * 1e6 / max(count, 1), 1)

    baseline = "the raw producer's run"
    return [
        Row(f"relay run: cores busy, of {cores}", "cores",
            round(relay.machine_cpu_s["busy"] / relay.seconds, 2),
            round(raw.machine_cpu_s["busy"] / raw.seconds, 2), baseline,
            higher_is_better=False),
        Row("relay processes: CPU per event (read, encode, produce)", "µs",
            per_event_us(relay.cpu_s, events), per_event_us(raw.cpu_s, raw.sent),
            "the raw producer's process (produce only)", higher_is_better=False),
        Row("relay's sending process alone: CPU per event", "µs",
            per_event_us(relay.own_cpu_s, events), per_event_us(raw.cpu_s, raw.sent),
            "the raw producer's process (produce only)", higher_is_better=False),
        Row("Kafka broker: CPU per event, relay run", "µs",
            per_event_us(relay.machine_cpu_s["kafka"], events),
            per_event_us(raw.machine_cpu_s["kafka"], raw.sent), baseline,
            higher_is_better=False),
        Row("PostgreSQL: CPU per event, relay run (the raw producer reads none)", "µs",
            per_event_us(relay.machine_cpu_s["postgres"], events), higher_is_better=False),
    ]  # fmt: skip


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
        raw = produce_from_memory(container, bootstrap, settings.topic_prefix + "-raw")
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
        Row("relay store → Kafka", "events/s", relay_events_per_s, rate(raw.sent, raw.seconds),
            "kafka-python producing the same messages from memory", TARGETS["relay"],
            target_ratio=TARGETS["relay_ratio"]),
        *relay_cpu_rows(relay, raw, relay.done * published // last),
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
        relay_cpu_s={"relay": relay.cpu_s, "sender": relay.own_cpu_s, **relay.machine_cpu_s},
        raw_producer_cpu_s={"producer": raw.cpu_s, **raw.machine_cpu_s},
        raw_producer_seconds=round(raw.seconds, 2),
        projector_seconds=round(projectors.seconds, 2),
        two_projectors_seconds=round(two.seconds, 2),
        partitions=PARTITIONS,
        relay_peak_rss_mb=relay.peak_rss_mb,
        projector_peak_rss_mb=projectors.peak_rss_mb,
        read_models=names,
    )


if __name__ == "__main__":
    main()
