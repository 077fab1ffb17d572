"""HTTP throughput and latency with 16 concurrent clients, and end-to-end latency from a command
accepted to the report showing it, on the production shape: `salesledger serve`, `relay` and
`project` as their own processes on PostgreSQL and Kafka, and the load generator
(bench/http_load.py) in another. Baseline: the same commands called on the application
directly, in one thread, on a store of its own, in the same run.

    python -m bench.http --commands 2000      # quick
    python -m bench.http --commands 20000     # full
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

from api.bootstrap import build
from api.users import Role
from bench.common import (
    LOGS,
    Row,
    children_cpu,
    cpu_seconds,
    free_port,
    kafka_bootstrap,
    listening,
    rate,
    scratch_database,
    scratch_settings,
    write_results,
)
from consumers.kafka_io import delete_topics
from domain.application import SalesPipeline
from domain.context import CommandContext
from tests.builders import rep_day

TARGETS = {"commands_per_s": 500, "p99_ms": 100, "e2e_p50_ms": 200, "e2e_p99_ms": 1000}
CLIENTS = 16


@contextmanager
def service(command: list[str], env: dict[str, str], log: Path):
    """A `salesledger` process for the duration of the block, stopped with SIGTERM."""
    salesledger = Path(sys.executable).parent / "salesledger"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(salesledger), *command], env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the API process exited: see bench/results/logs/http-api.log")
        if listening(port):
            return
        time.sleep(0.1)
    raise SystemExit(f"the API did not listen on port {port} within {seconds} s")


def direct_commands(app: SalesPipeline, commands: int) -> float:
    """The load generator's command mix, called on the application in one thread."""
    done = 0
    started = time.perf_counter()
    for n in count():
        ctx = CommandContext(f"rep{n % CLIENTS}", datetime.now(UTC))
        done += rep_day(app, ctx, n)
        if done >= commands:
            return time.perf_counter() - started
    raise AssertionError("unreachable")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="API processes (default 2)")
    args = parser.parse_args()
    bootstrap = kafka_bootstrap()
    LOGS.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = stack.enter_context(scratch_database("postgres"))
        settings = scratch_settings(folder, url, kafka_bootstrap=bootstrap)
        stack.callback(delete_topics, bootstrap, settings.topic_prefix)
        container = build(settings)
        now = datetime.now(UTC)
        tokens = [container.users.add(f"rep{i}", Role.REP, "bench", now) for i in range(CLIENTS)]
        probe_token = container.users.add("probe", Role.REP, "bench", now)
        container.close()
        (folder / "tokens").write_text("\n".join(tokens))
        port = free_port()
        env = os.environ | {
            "SALESLEDGER_DATA_DIR": str(folder),
            "SALESLEDGER_DATABASE_URL": url,
            "SALESLEDGER_KAFKA_BOOTSTRAP": bootstrap,
            "SALESLEDGER_TOPIC_PREFIX": settings.topic_prefix,
        }
        processes = {
            name: stack.enter_context(service(command, env, LOGS / f"http-{name}.log"))
            for name, command in [
                ("api", ["serve", "--port", str(port), "--workers", str(args.workers)]),
                ("relay", ["relay"]),
                ("projector", ["project"]),
            ]
        }
        wait_for_port(port, processes["api"])
        cpu_before = {name: cpu_seconds(p.pid) for name, p in processes.items()}
        load = subprocess.run(
            [sys.executable, "-m", "bench.http_load", "--base-url", f"http://127.0.0.1:{port}",
             # joined with "=": a token may begin with "-", which argparse takes for an option
             "--tokens", str(folder / "tokens"), f"--probe-token={probe_token}",
             "--clients", str(CLIENTS), "--commands", str(args.commands)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        measured = json.loads(load.stdout)
        # Where the machine's two cores went during the load, per process.
        measured["cpu_seconds"] = {
            name: round(cpu_seconds(p.pid) - cpu_before[name], 2) for name, p in processes.items()
        } | {"load_generator": round(children_cpu(), 2)}

    with tempfile.TemporaryDirectory() as folder, scratch_database("postgres") as url:
        container = build(scratch_settings(Path(folder), url))
        direct_s = direct_commands(container.app, args.commands)
        container.close()
    if measured["failure_count"]:
        raise SystemExit(f"commands failed under load: {measured['failures']}")

    direct = rate(args.commands, direct_s)
    rows = [
        Row(f"HTTP commands, {CLIENTS} clients", "commands/s",
            rate(measured["commands"], measured["seconds"]), direct,
            "the same commands on the application directly", TARGETS["commands_per_s"]),
        Row(f"HTTP command latency p50, {CLIENTS} clients", "ms", round(measured["p50_ms"], 1)),
        Row(f"HTTP command latency p99, {CLIENTS} clients", "ms", round(measured["p99_ms"], 1),
            target=TARGETS["p99_ms"], higher_is_better=False),
        Row("end to end: command accepted → report shows it, p50", "ms",
            round(measured["e2e_p50_ms"], 1), target=TARGETS["e2e_p50_ms"],
            higher_is_better=False),
        Row("end to end: command accepted → report shows it, p99", "ms",
            round(measured["e2e_p99_ms"], 1), target=TARGETS["e2e_p99_ms"],
            higher_is_better=False),
    ]  # fmt: skip
    write_results("http", rows, **measured)


if __name__ == "__main__":
    main()
