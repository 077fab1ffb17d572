"""`salesledger rebuild`, `verify` and `status`: the read models against the store."""

from __future__ import annotations

import argparse
import sys

from api.bootstrap import Container, chosen_projections, kafka_of, rebuild_read_models
from api.cli.args import moment, positive
from api.cli.observed import observed
from api.progress import progress_bar
from consumers.rebuild_jobs import PARALLEL_FROM, default_jobs
from consumers.relay import RELAY, relay_lag
from consumers.status import kafka_lag, kafka_path_behind
from projections.base import Projection
from projections.rebuild import collector_paused, first_difference
from projections.replay import fold_log


def register(commands: argparse._SubParsersAction) -> None:
    rebuild = commands.add_parser("rebuild", help="rebuild read models from the event store")
    rebuild.add_argument("names", nargs="*", help="read models to rebuild (default: all)")
    rebuild.add_argument(
        "--until",
        type=moment,
        help="ISO time with offset: build document read models as they were then, beside the "
        "live ones (the ledger's tables answer as_of by themselves)",
    )
    rebuild.add_argument(
        "--jobs",
        type=positive,
        help="processes, each folding a part of the aggregates (or some of the read models) "
        f"(default: 2 on a machine with two cores and a log of {PARALLEL_FROM:,} events or more)",
    )
    observed(rebuild)
    rebuild.set_defaults(run=run_rebuild)

    verify = commands.add_parser("verify", help="compare the live read models with a rebuild")
    verify.add_argument("names", nargs="*", help="read models to verify (default: all)")
    verify.set_defaults(run=run_verify)

    status = commands.add_parser("status", help="each consumer's position and lag")
    status.set_defaults(run=run_status)


def run_rebuild(container: Container, args: argparse.Namespace) -> int:
    projections = chosen_projections(container, args.names)
    relational = [p.name for p in projections if getattr(p, "tables", None)]
    if args.until and relational:
        print(
            f"salesledger: --until: {', '.join(relational)} keeps its history and answers as_of "
            "by itself (every report takes as_of); there is nothing to build beside it",
            file=sys.stderr,
        )
        return 2
    last = container.app.last_position()
    jobs = args.jobs or default_jobs(last)
    rebuilding = [p.name for p in projections]
    with progress_bar(last, "rebuild", rebuilding=rebuilding) as tick:
        rebuilt = rebuild_read_models(container, projections, args.until, jobs, tick)
    where = f" as of {args.until.isoformat()} (kept beside the live ones)" if args.until else ""
    names = ", ".join(p.name for p in projections)
    print(f"rebuilt {names} from {rebuilt.events} events{where}")
    return 0


def run_verify(container: Container, args: argparse.Namespace) -> int:
    projections = chosen_projections(container, args.names)
    behind = behind_store(container, projections)
    if behind:
        print(
            f"salesledger: read models are behind the store ({behind}); verify when caught up",
            file=sys.stderr,
        )
        return 3
    with progress_bar(container.app.last_position(), "verify") as tick, collector_paused():
        rebuilt = fold_log(projections, container.public_envelopes(), on_event=tick)
    for projection in projections:
        live = container.docs.all_docs(projection.name)
        difference = first_difference(projection.name, live, rebuilt.states[projection.name].docs)
        if difference is not None:
            print(f"DIFFERENT {difference.describe()}")
            return 1
        print(f"ok {projection.name}: {len(live)} documents equal a rebuild")
    return 0


def behind_store(container: Container, projections: list[Projection]) -> str:
    """How far the read models are behind the store ('' when caught up); in-process read
    models are brought up to date first."""
    if container.follower is not None:
        container.follower.catch_up()
        return ""
    settings = container.settings
    lag = kafka_lag(kafka_of(settings), settings.topic_prefix, container.docs, projections)
    return kafka_path_behind(container.app, container.positions, lag)


def run_status(container: Container, args: argparse.Namespace) -> int:
    print(f"store position: {container.app.last_position()}")
    if container.follower is not None:
        for name, lag in container.follower.lag().items():
            print(f"projection {name} (in-process): lag {lag}")
        return 0
    relay_position = container.positions.get(RELAY)
    print(f"relay position: {relay_position}  lag {relay_lag(container.app, container.positions)}")
    settings = container.settings
    lags = kafka_lag(
        kafka_of(settings), settings.topic_prefix, container.docs, container.projections
    )
    for name, partitions in lags.items():
        shown = "  ".join(f"{p}: {lag}" for p, lag in sorted(partitions.items()) if lag)
        print(
            f"projection {name}: lag {sum(partitions.values())}" + (f"  ({shown})" if shown else "")
        )
    return 0
