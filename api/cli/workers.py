"""`salesledger relay` and `salesledger project`: the long-running workers of production."""

from __future__ import annotations

import argparse
import signal
import threading

from api.bootstrap import Container, projector_of, relay_of
from api.cli.args import positive
from consumers import logs
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
    relay.set_defaults(run=run_relay)

    project = commands.add_parser("project", help="build read models from Kafka")
    project.add_argument("names", nargs="*", help="projections to run (default: all)")
    project.add_argument("--once", action="store_true", help="apply what is there, then stop")
    project.set_defaults(run=run_project)


def stop_on_signals() -> threading.Event:
    """SIGTERM or SIGINT ends the loop after the batch in hand."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def run_relay(container: Container, args: argparse.Namespace) -> int:
    logs.configure()
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


def run_project(container: Container, args: argparse.Namespace) -> int:
    logs.configure()
    projector = projector_of(container, args.names)
    try:
        if args.once:
            drain(projector)
        else:
            projector.run_forever(stop_on_signals())
    finally:
        projector.close()
    return 0
