"""What every benchmark shares: the seeded activity log, scratch stores, timing, and the result
rows the summary table prints (figure, unit, value, raw baseline from the same run, ratio,
target)."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse, urlunparse

import psycopg2
import psycopg2.errors

from api.cli.demo_data import ActivityGenerator, teams_of
from api.settings import Settings
from domain.application import SalesPipeline
from store.backup import export_lines, import_lines
from store.event_store import open_pipeline

BENCH = Path(__file__).parent
# Where results go; tests point it elsewhere so a smoke run never replaces real figures.
RESULTS = Path(os.environ.get("SALESLEDGER_BENCH_RESULTS", BENCH / "results"))
LOGS = RESULTS / "logs"
# The seeded activity logs are kept here whatever the results folder: they take minutes.
ACTIVITY_LOGS = BENCH / "results" / "logs"
T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    """One line of the summary table. `higher_is_better` says which side of the target wins."""

    figure: str
    unit: str
    value: float
    baseline: float | None = None
    baseline_name: str = ""
    target: float | None = None
    higher_is_better: bool = True
    target_ratio: float | None = None  # a target on value / baseline, where the issue sets one

    @property
    def ratio(self) -> float | None:
        return round(self.value / self.baseline, 3) if self.baseline else None

    @property
    def met(self) -> bool | None:
        checks = []
        if self.target is not None:
            checks.append(
                self.value >= self.target if self.higher_is_better else self.value <= self.target
            )
        if self.target_ratio is not None and self.ratio is not None:
            checks.append(self.ratio >= self.target_ratio)
        return all(checks) if checks else None

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"ratio": self.ratio, "met": self.met}


def write_results(name: str, rows: list[Row], **details: Any) -> dict[str, Any]:
    """Writes bench/results/<name>.json and prints it as one JSON line."""
    document = {"benchmark": name, "rows": [r.as_json() for r in rows], "details": details}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(document))
    return document


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else 0.0


def timed(action: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


# Raise it when the events the seeded activity stores change, so that no benchmark restores
# a log kept from before (2: OpportunityOpened carries the lead's source).
ACTIVITY_LOG_VERSION = 2


def activity_log(leads: int, seed: int = 7) -> Path:
    """A JSON Lines export of the seeded activity of `leads` leads, generated once and kept:
    playing out a million events takes minutes, and every benchmark restores the same file."""
    path = ACTIVITY_LOGS / f"activity-{leads}-{seed}-v{ACTIVITY_LOG_VERSION}.jsonl"
    if path.exists():
        return path
    app = open_pipeline(
        {"PERSISTENCE_MODULE": "eventsourcing.popo", "AGGREGATE_CACHE_MAXSIZE": "50000"},
        claim_limit=10**9,
    )
    ActivityGenerator(app, seed=seed, teams=teams_of(4, 10)).run(leads)
    return keep_export(app, path)


def keep_export(app: SalesPipeline, path: Path) -> Path:
    """Writes the app's whole log as an export at `path` (whole or not at all)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as out:
        for line in export_lines(app):
            out.write(line + "\n")
    partial.rename(path)
    return path


def restore(app: SalesPipeline, log: Path) -> int:
    """Fills an empty store with the activity log; returns the number of stored events."""
    with log.open(encoding="utf-8") as lines:
        return import_lines(app, lines).events


@contextmanager
def scratch_database(backend: str) -> Iterator[str | None]:
    """SQLite: None (the caller's temporary folder holds the files). PostgreSQL: a database of
    its own on the server `make services` started, dropped afterwards."""
    if backend == "sqlite":
        yield None
        return
    base = os.environ.get("SALESLEDGER_DATABASE_URL")
    if not base:
        raise SystemExit("PostgreSQL benchmarks need `make services` and `. .services/env`")
    name = "bench_" + uuid.uuid4().hex[:10]
    admin = psycopg2.connect(base)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunparse(urlparse(base)._replace(path="/" + name))
    finally:
        drop_database(admin, name)
        admin.close()


def drop_database(admin: Any, name: str) -> None:
    """Drops a scratch database. Plain DROP first: PostgreSQL itself stops an autovacuum
    worker busy there (which FORCE, as a non-superuser, may not); FORCE only if a session of
    ours is still connected."""
    with admin.cursor() as cursor:
        try:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        except psycopg2.errors.ObjectInUse:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def scratch_settings(folder: Path, database_url: str | None, **overrides: Any) -> Settings:
    """Settings for a benchmark's own store; Kafka only where the benchmark passes it."""
    values: dict[str, Any] = {
        "data_dir": folder,
        "database_url": database_url,
        "kafka_bootstrap": None,
        "topic_prefix": "bench" + uuid.uuid4().hex[:10],
    }
    return Settings(**(values | overrides))


def kafka_bootstrap() -> str:
    bootstrap = os.environ.get("SALESLEDGER_KAFKA_BOOTSTRAP")
    if not bootstrap:
        raise SystemExit("Kafka benchmarks need `make services` and `. .services/env`")
    return bootstrap


def cpu_seconds(pid: int, children: bool = True) -> float:
    """User + system CPU time a running process and its running children (uvicorn's workers,
    the relay's read-ahead process) have used, from /proc; the process's own with
    `children=False`."""
    ticks = 0
    for process in _process_tree(pid) if children else [pid]:
        try:
            ticks += _cpu_ticks(Path(f"/proc/{process}/stat").read_text())
        except OSError:
            continue  # it ended meanwhile
    return round(ticks / os.sysconf("SC_CLK_TCK"), 2)


def _cpu_ticks(stat: str) -> int:
    """User + system clock ticks from a /proc/PID/stat line (fields after the command's ')')."""
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def children_cpu() -> float:
    """CPU seconds of this process's children that have ended and been waited for, their own
    children's included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_cpu() -> dict[str, Any]:
    """CPU seconds used so far: by the whole machine ("busy", every core's non-idle time
    together), and by each process of the Kafka broker and of PostgreSQL (pid → seconds), from
    /proc — so a run can tell what shared the cores with it."""
    ticks = os.sysconf("SC_CLK_TCK")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    used: dict[str, Any] = {"busy": (user + nice + system + irq + softirq + steal) / ticks,
                            "kafka": {}, "postgres": {}}  # fmt: skip
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            stat = (process / "stat").read_text()
            command = (process / "cmdline").read_bytes()
        except OSError:
            continue  # it ended meanwhile
        owner = ("kafka" if b"kafka.Kafka" in command
                 else "postgres" if stat.rsplit(")", 1)[0].endswith("(postgres")
                 else None)  # fmt: skip
        if owner is not None:
            used[owner][process.name] = _cpu_ticks(stat) / ticks
    return used


def still_seen(earlier: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    """A `machine_cpu()` reading that keeps, for a process that has ended since `earlier`, what
    it had used then."""
    merged = dict(now)
    for owner in ("kafka", "postgres"):
        merged[owner] = earlier[owner] | now[owner]
    return merged


def cpu_used(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    """Seconds used between two `machine_cpu()` readings; of a process that ended in between (a
    closed database connection's), only what `still_seen` kept counts: the figure is a floor."""
    used = {"busy": round(after["busy"] - before["busy"], 2)}
    for owner in ("kafka", "postgres"):
        was = before[owner]
        used[owner] = round(sum(s - was.get(pid, 0.0) for pid, s in after[owner].items()), 2)
    return used


def free_port() -> int:
    """A loopback TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def tree_rss_mb(pid: int, field: str = "VmRSS") -> float:
    """rss_mb of a process and its children together; for VmHWM the sum of peaks, at least
    the peak of the sum."""
    return round(sum(rss_mb(p, field) for p in _process_tree(pid)), 1)


def _process_tree(pid: int) -> list[int]:
    """The process and its descendants; FileNotFoundError if the process itself has ended (a
    child ending meanwhile is left out)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            children += [int(c) for c in (task / "children").read_text().split()]
    tree = [pid]
    for child in children:
        with contextlib.suppress(FileNotFoundError):
            tree += _process_tree(child)
    return tree


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process from /proc (VmHWM is its peak so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    raise LookupError(f"{field} not in /proc/{pid}/status")
