"""One scheduler pass over many held leads of which a few are due, beside a plain SQL query
selecting the due rows from the same table in the same run.

    python -m bench.scheduler --held 10000 --due 100        # quick
    python -m bench.scheduler --held 100000 --due 1000      # the issue's size
    python -m bench.scheduler --held 10000 --due 100 --backend postgres

The store is filled from a generated export (kept in bench/results/logs/): `held` leads claimed
by reps holding 50 each, the default claim limit (their workloads' snapshots taken, as a live
store has them), `due` of them eight days before the pass and never followed up (due back under the
default rule of seven days), the rest two days before (not due, not yet warned). The pass runs
every job of `salesledger scheduler`; it returns the `due` leads, each as a command of its own.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.bootstrap import build, scheduler_of
from api.users import Role
from bench.common import (
    ACTIVITY_LOGS,
    Row,
    keep_export,
    restore,
    scratch_database,
    scratch_settings,
    timed,
    write_results,
)
from domain.context import CommandContext
from domain.workloads import workload_id
from store.event_store import open_pipeline

TARGET_SECONDS = 1.0
PER_REP = 50  # leads each rep holds: the default claim limit
PASS_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def held_leads_log(held: int, due: int) -> Path:
    """The export of `held` claimed leads, `due` of them idle long enough; generated once."""
    path = ACTIVITY_LOGS / f"held-{held}-{due}-{PER_REP}.jsonl"
    if path.exists():
        return path
    app = open_pipeline(
        {"PERSISTENCE_MODULE": "eventsourcing.popo", "AGGREGATE_CACHE_MAXSIZE": "1000"},
        claim_limit=10**9,
    )
    start = PASS_AT - timedelta(days=8)
    reps = reps_for(held)
    for n in range(held):
        at = start if n < due else PASS_AT - timedelta(days=2)
        rep = CommandContext(reps[n % len(reps)], at)
        lead = app.capture_lead(rep, source="web", company=f"Company {n}",
                                contact={"name": "Li Lei"}).id  # fmt: skip
        app.claim_lead(rep, lead)
    return keep_export(app, path)


def reps_for(held: int) -> list[str]:
    return [f"rep{n:05d}" for n in range(-(-held // PER_REP))]


class PassClock:
    def now(self) -> datetime:
        return PASS_AT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    if not 0 < args.due <= args.held:
        parser.error("--due must be from 1 to --held")
    log = held_leads_log(args.held, args.due)

    with tempfile.TemporaryDirectory() as folder, scratch_database(args.backend) as url:
        container = build(scratch_settings(Path(folder), url), clock=PassClock())
        restore(container.app, log)
        for rep in reps_for(args.held):
            container.users.add(rep, Role.REP, "east", PASS_AT)
            # a live store has a snapshot of each workload (one every 50 events); an import
            # has none, and the first pass would replay thousands of events per rep
            container.app.take_snapshot(workload_id(rep))
        scheduler = scheduler_of(container)
        scheduler.refresh()  # the ledger: every lead delivered before the timing starts
        bound = (PASS_AT - timedelta(days=7)).isoformat()
        tables = container.docs.reader("ledger")
        due_rows, query_s = timed(lambda: tables.read(
            "SELECT lead_id FROM rm_lead WHERE touched_at <= ? AND holder IS NOT NULL", [bound]
        ))  # fmt: skip
        report, pass_s = timed(scheduler.run_once)
        container.close()

    returned = sum(1 for d in report.done if d.action == "return_to_pool")
    if returned != args.due or len(due_rows) != args.due:
        raise SystemExit(f"expected {args.due} returns, got {returned} ({len(due_rows)} rows due)")
    write_results(
        f"scheduler-{args.backend}",
        [
            Row(
                f"scheduler pass {args.backend}: {args.held:,} held, {args.due:,} due",
                "s",
                round(pass_s, 3),
                round(query_s, 4),
                "plain SQL selecting the due rows from the same table",
                TARGET_SECONDS,
                higher_is_better=False,
            ),
            Row(
                f"scheduler pass {args.backend}: per decision",
                "ms",
                round(1000 * pass_s / args.due, 2),
            ),
        ],  # fmt: skip
        held=args.held,
        due=args.due,
        refused=len(report.refused),
    )


if __name__ == "__main__":
    main()
