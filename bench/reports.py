"""Report latency through HTTP, live and as of a month back, beside a plain SQL GROUP BY.

A store is filled with the seeded activity log and its read models rebuilt; `salesledger
serve` then answers every report to 8 concurrent clients, live and `as_of` a month before the
log's last event. A report over a period is asked for its default, the 90 days before the
moment: live, that is `since` 90 days before the log's last event (the seeded log runs past
today's date, where a real log ends now). The baseline, measured in the same run on the same
database, is a plain `GROUP BY` over the current opportunity table (indexed, one row per
opportunity), issued directly — what a report costs at the least.

    python -m bench.reports --leads 1000                        # quick
    python -m bench.reports --leads 125000 --backend postgres   # about a million events
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from api.bootstrap import build, rebuild_read_models
from api.routers.management import last_month
from api.routers.queries import DEFAULT_PERIOD
from api.users import Role
from bench.common import (
    LOGS,
    Row,
    activity_log,
    free_port,
    restore,
    scratch_database,
    scratch_settings,
    write_results,
)
from bench.http import service, wait_for_port
from bench.http_load import Client
from domain.context import SystemClock
from projections.report_rows import iso_week

CLIENTS = 8
WARM_UP = 2 * CLIENTS  # requests per report and moment before the timed ones
LIVE_P99_MS, AS_OF_P99_MS = 50, 200
REPORTS = (
    "funnel", "win-rate", "lead-conversion", "sales-cycle", "forecast", "closed-won", "lost",
    "stage-conversion", "rep-activity", "targets", "weekly", "forecast-accuracy",
    "monthly-review", "pipeline-movement",
)  # fmt: skip
POOL = "pool"
PERIOD_REPORTS = {
    "win-rate", "lead-conversion", "sales-cycle", "closed-won", "lost", "stage-conversion",
}  # fmt: skip
WEEKLY_REP = "rep0_0"  # a rep of the seeded activity (teams_of: rep<team>_<n>)
MOVEMENT_DAYS = 7  # pipeline movement's default span


def params_of(report: str, at: datetime, live: bool) -> dict[str, str]:
    """A report's query at the moment `at`: live, where `at` is the log's last event (the
    seeded log runs past today's date, where a real one ends now, so a report whose default
    follows the clock is given the week, month, year or period that ends at `at`), or as of
    `at`. Pipeline movement compares two moments: the week up to `at`."""
    if report == "pipeline-movement":
        return {"since": (at - timedelta(days=MOVEMENT_DAYS)).isoformat(), "until": at.isoformat()}
    params = {} if live else {"as_of": at.isoformat()}
    if live and report == "monthly-review":
        # The review is the month as it stood at min(month end, as_of or now): live at `at` is
        # as_of=`at`. Without it the server's clock, years before the seeded log, cut the
        # month at today and the review read nothing.
        params["as_of"] = at.isoformat()
    if live and report in PERIOD_REPORTS:
        params["since"] = (at - DEFAULT_PERIOD).isoformat()
    if report in ("rep-activity", "weekly"):
        params["week"] = iso_week(at)
    if report == "weekly":
        params["rep"] = WEEKLY_REP
    if report in ("forecast-accuracy", "monthly-review"):
        params["month"] = last_month(at)
    if report == "targets":
        params["year"] = str(at.year)
    return params


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)


def timed_requests(port: int, token: str, path: str, params: dict, requests: int) -> list[float]:
    """Milliseconds of `requests` calls shared among CLIENTS threads, each on its own
    keep-alive connection. Plain http.client, as the command load generator: httpx took
    about 1.2 ms of CPU a request, on the two cores the API answers on."""
    target = f"{path}?{urlencode(params)}" if params else path
    times: list[float] = []
    refused: list[str] = []  # a thread's exception would not reach the caller
    lock = threading.Lock()
    per_client = max(1, requests // CLIENTS)

    def client_loop() -> None:
        client = Client(f"http://127.0.0.1:{port}", token)
        for _ in range(per_client):
            status, body, seconds = client.raw("GET", target)
            with lock:
                times.append(seconds * 1000)
                if status != 200:
                    refused.append(f"GET {target} answered {status}: {body[:300]!r}")

    threads = [threading.Thread(target=client_loop) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if refused:
        raise SystemExit(refused[0])
    return times


def baseline_ms(container, repeats: int) -> list[float]:
    """A plain GROUP BY over the indexed current opportunity table, straight on the database."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        container.db.read(
            "SELECT stage, COUNT(*), SUM(amount) FROM rm_opportunity WHERE status = 'open' "
            "GROUP BY stage"
        )
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200, help="per report and moment")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="API processes (one per core)"
    )
    args = parser.parse_args()
    log = activity_log(args.leads, args.seed)

    with tempfile.TemporaryDirectory() as folder, scratch_database(args.backend) as url:
        settings = scratch_settings(Path(folder), url, aggregate_cache=0)
        container = build(settings)
        events = restore(container.app, log)
        rebuild_read_models(container, container.projections, None, jobs=1)
        # a running store seals its log as it goes; a restored one is sealed once here, or the
        # API's first delivery would seal a million events while reports wait behind it
        container.audit.seal()
        if url is not None:
            # a running database's tables are vacuumed by autovacuum as they grow; a restored
            # one's million new rows would be, while the reports are timed (a p99 of 500 ms)
            tables = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            container.db.settle([t for (t,) in container.db.read(tables)])
        last = datetime.fromisoformat(container.db.read("SELECT MAX(at) FROM rm_activity")[0][0])
        month_back = last - timedelta(days=30)
        token = container.users.add("bench-admin", Role.ADMIN, None, SystemClock().now())
        history_rows = container.db.read("SELECT COUNT(*) FROM rm_opportunity_history")[0][0]
        baseline = baseline_ms(container, args.requests)
        container.close()

        port = free_port()
        env = {
            **os.environ,
            "SALESLEDGER_DATA_DIR": folder,
            "SALESLEDGER_TOPIC_PREFIX": settings.topic_prefix,
            "SALESLEDGER_AGGREGATE_CACHE": "0",
            # No scheduler in the API while reports are timed: its passes run on today's clock,
            # and the seeded log runs years past today, so each pass would read every fact
            # "after now" (a real store has none) — its first pass raised 1,700 alerts at the
            # quarter size while win rate was timed (p99 550 ms on PostgreSQL, 85 without it),
            # later ones took 150 ms each. A pass's cost is bench.scheduler's to measure.
            "SALESLEDGER_SCHEDULER_INTERVAL": "0",
        }
        env.pop("SALESLEDGER_KAFKA_BOOTSTRAP", None)
        if url is None:
            env.pop("SALESLEDGER_DATABASE_URL", None)
        else:
            env["SALESLEDGER_DATABASE_URL"] = url
        LOGS.mkdir(parents=True, exist_ok=True)
        with service(
            ["serve", "--port", str(port), "--workers", str(args.workers)],
            env,
            LOGS / "reports-api.log",
        ) as api:
            wait_for_port(port, api)
            rows = _measure(port, token, (last, month_back), args.requests, baseline, args.backend)

    write_results(
        f"reports-{args.backend}",
        rows,
        events=events,
        opportunity_history_rows=history_rows,
        as_of=month_back.isoformat(),
        clients=CLIENTS,
        api_workers=args.workers,
        requests=args.requests,
    )


def _measure(port, token, moments, requests, baseline, backend) -> list[Row]:
    last, month_back = moments
    base_p99 = round(sorted(baseline)[min(len(baseline) - 1, int(0.99 * len(baseline)))], 3)
    name = f"plain GROUP BY on {backend}, p99 (ms)"
    rows = []
    queries = [
        (report, f"/{POOL}" if report == POOL else f"/reports/{report}", label, params, target)
        for report in (*REPORTS, POOL)
        for label, params, target in (
            ("live", params_of(report, last, live=True), LIVE_P99_MS),
            ("as of a month back", params_of(report, month_back, live=False), AS_OF_P99_MS),
        )
    ]
    # untimed first, every query: workers still starting (their first delivery and scheduler
    # pass), or pages not yet read since the rebuild, would otherwise put their seconds into
    # the p99 of whichever report came first
    for _, path, _, params, _ in queries:
        timed_requests(port, token, path, params, WARM_UP)
    for report, path, label, params, target in queries:
        timed_requests(port, token, path, params, WARM_UP)
        times = timed_requests(port, token, path, params, requests)
        rows.append(Row(f"{report} {label} p50, {backend}", "ms", percentile(times, 0.5)))
        rows.append(
            Row(
                f"{report} {label} p99, {backend}",
                "ms",
                percentile(times, 0.99),
                base_p99,
                name,
                target,
                higher_is_better=False,
            )  # fmt: skip
        )
    rows.append(Row(f"baseline p50, {backend}", "ms", round(statistics.median(baseline), 3)))
    return rows


if __name__ == "__main__":
    main()
