"""The HTTP load generator, run as its own process by bench.http: `clients` threads, each a
rep with a keep-alive connection, play capture → claim → follow-up, then convert → stage move
for one lead in four and disqualify the rest, until `commands` commands are done. One more
thread probes end-to-end latency by capturing a lead as its own rep and polling the
rep-activity report until the lead is counted there.

Prints one JSON object: command count, seconds, per-command latencies' percentiles, probes.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

PROBE_INTERVAL_S = 0.25
PROBE_POLL_S = 0.01


class Client:
    """One keep-alive connection with a bearer token; returns (status, body, seconds)."""

    def __init__(self, base_url: str, token: str) -> None:
        url = urlparse(base_url)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict, float]:
        status, data, seconds = self.raw(method, path, None if body is None else json.dumps(body))
        return status, (json.loads(data) if data else {}), seconds

    def raw(self, method: str, path: str, payload: str | None = None) -> tuple[int, bytes, float]:
        """The answer's body undecoded: a load generator sharing the machine decodes nothing
        it does not need."""
        started = time.perf_counter()
        self.connection.request(method, path, body=payload, headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, data, time.perf_counter() - started


def lead_body(source: str, n: int) -> dict:
    return {
        "source": source,
        "company": f"Company {n}",
        "contact": {"name": "Li Lei", "phone": "13800001234", "email": f"c{n}@example.cn"},
        "budget": "150000",
    }


class Load:
    def __init__(self, base_url: str, tokens: list[str], commands: int) -> None:
        self.base_url = base_url
        self.tokens = tokens
        self.remaining = itertools.count()
        self.commands = commands
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.lock = threading.Lock()

    def _take(self) -> bool:
        return next(self.remaining) < self.commands

    def _record(self, status: int, expected: int, seconds: float, what: str) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if status != expected:
                self.failures.append(f"{what}: HTTP {status}")

    def client_loop(self, index: int) -> None:
        client = Client(self.base_url, self.tokens[index])
        for n in itertools.count():
            if not self._take():
                return
            status, lead, s = client.call("POST", "/leads", lead_body("web", n))
            self._record(status, 201, s, "capture")
            if status != 201 or not self._take():
                continue
            lead_id = lead["id"]
            status, _, s = client.call("POST", f"/leads/{lead_id}/claim")
            self._record(status, 200, s, "claim")
            if not self._take():
                return
            follow_up = {"method": "call", "summary": "first call"}
            status, _, s = client.call("POST", f"/leads/{lead_id}/follow-ups", follow_up)
            self._record(status, 200, s, "follow-up")
            if n % 4:
                # Most leads do not convert: the rep disqualifies them, so no rep's hand grows.
                if not self._take():
                    return
                path = f"/leads/{lead_id}/disqualify"
                status, _, s = client.call("POST", path, {"reason": "no budget this year"})
                self._record(status, 200, s, "disqualify")
                continue
            if not self._take():
                return
            deal = {"name": f"Deal {n}", "amount": "50000", "expected_close": "2027-06-30"}
            status, converted, s = client.call("POST", f"/leads/{lead_id}/convert", deal)
            self._record(status, 201, s, "convert")
            if status != 201 or not self._take():
                continue
            path = f"/opportunities/{converted['opportunity_id']}/stage"
            status, _, s = client.call("POST", path, {"stage": "needs"})
            self._record(status, 200, s, "stage")


def probe_loop(base_url: str, token: str, stop: threading.Event, found: list[float]) -> None:
    """Command accepted (the 201 came back) → the probe rep's row in the rep-activity report
    counts the lead it touched."""
    client = Client(base_url, token)

    def touched() -> int:
        _, report, _ = client.call("GET", "/reports/rep-activity")
        return sum(row["touched"] for row in report["rows"])

    for n in itertools.count():
        if stop.wait(PROBE_INTERVAL_S):
            return
        before = touched()
        status, _, _ = client.call("POST", "/leads", lead_body("probe", n))
        if status != 201:
            continue
        accepted = time.perf_counter()
        while not stop.is_set():
            if touched() > before:
                found.append(time.perf_counter() - accepted)
                break
            time.sleep(PROBE_POLL_S)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--tokens", required=True, help="file: one rep token a line")
    parser.add_argument("--probe-token", required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--commands", type=int, default=2000)
    args = parser.parse_args()
    tokens = Path(args.tokens).read_text().split()[: args.clients]
    load = Load(args.base_url, tokens, args.commands)
    stop, probes = threading.Event(), []
    prober = threading.Thread(
        target=probe_loop, args=(args.base_url, args.probe_token, stop, probes)
    )
    threads = [threading.Thread(target=load.client_loop, args=(i,)) for i in range(len(tokens))]
    started = time.perf_counter()
    prober.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    stop.set()
    prober.join()
    json.dump(
        {
            "commands": len(load.latencies),
            "seconds": seconds,
            "failures": load.failures[:20],
            "failure_count": len(load.failures),
            "p50_ms": percentile(load.latencies, 0.5) * 1000,
            "p99_ms": percentile(load.latencies, 0.99) * 1000,
            "mean_ms": statistics.fmean(load.latencies) * 1000 if load.latencies else 0,
            "probes": len(probes),
            "e2e_p50_ms": percentile(probes, 0.5) * 1000,
            "e2e_p99_ms": percentile(probes, 0.99) * 1000,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
