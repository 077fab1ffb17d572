"""`salesledger relay`, `project` and `scheduler`: the long-running workers of production."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from api.bootstrap import Container, projector_of, relay_of, scheduler_of
from api.cli.args import moment, positive
from api.cli.observed import observed
from consumers.projector import drain


def register(commands: argparse._SubParsersAction) -> None:
    relay = commands.add_parser("relay", help="publish the event store's log to Kafka")
    relay.add_argument("--once", action="store_true", help="send what is there, then stop")
    relay.add_argument(
        "--batch-size", type=positive, default=2000, help="log entries sent per acknowledged batch"
    )
    relay.add_argument(
        "--no-read-ahead",
        dest="read_ahead",
        action="store_false",
        help="read and encode the log in this process only (default: while there is a backlog, "
        "a child process reads and encodes the next batch while this one sends the last)",
    )
    observed(relay)
    relay.set_defaults(run=run_relay)

    project = commands.add_parser("project", help="build read models from Kafka")
    project.add_argument("names", nargs="*", help="projections to run (default: all)")
    project.add_argument("--once", action="store_true", help="apply what is there, then stop")
    observed(project)
    project.set_defaults(run=run_project)

    scheduler = commands.add_parser(
        "scheduler", help="carry out the pool rules' deadlines (returns to the pool, warnings)"
    )
    scheduler.add_argument("--once", action="store_true", help="one pass, then stop")
    scheduler.add_argument(
        "--preview",
        action="store_true",
        help="list every decision that would fall due by --at (default: now), changing nothing",
    )
    scheduler.add_argument("--at", type=moment, help="with --preview: the moment to look ahead to")
    scheduler.add_argument("--json", action="store_true", help="with --preview: one JSON per line")
    scheduler.add_argument(
        "--interval", type=float, help="seconds between passes (default: the settings')"
    )
    observed(scheduler)
    scheduler.set_defaults(run=run_scheduler)


def stop_on_signals() -> threading.Event:
    """SIGTERM or SIGINT ends the loop after the batch in hand."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def run_relay(container: Container, args: argparse.Namespace) -> int:
    relay = relay_of(container, read_ahead=args.read_ahead)
    relay.batch_size = args.batch_size
    try:
        if args.once:
            while relay.run_once():
                pass
        else:
            relay.run_forever(stop_on_signals())
    finally:
        relay.close()
    return 0


def run_scheduler(container: Container, args: argparse.Namespace) -> int:
    scheduler = scheduler_of(container)
    if args.at is not None and not args.preview:
        raise ValueError("--at goes with --preview (a pass acts now, never at another time)")
    if args.preview:
        decisions = scheduler.preview(args.at or container.clock.now())
        for decision in decisions:
            if args.json:
                print(json.dumps(decision.as_json()))
            else:
                falls = decision.falls_at.isoformat()
                print(f"{falls}  {decision.action}  {decision.subject_id}  {decision.explained}")
        if not args.json:
            print(f"{len(decisions)} decisions", file=sys.stderr)
        return 0
    if args.once:
        report = scheduler.run_once()
        print(f"{len(report.done)} done, {len(report.refused)} refused on the record's own state")
        return 0
    interval = args.interval if args.interval is not None else container.settings.scheduler_interval
    if interval <= 0:
        raise ValueError("--interval must be more than 0 seconds")
    scheduler.run_forever(interval, stop_on_signals())
    return 0


def run_project(container: Container, args: argparse.Namespace) -> int:
    projector = projector_of(container, args.names)
    try:
        if args.once:
            drain(projector)
        else:
            projector.run_forever(stop_on_signals())
    finally:
        projector.close()
    return 0
