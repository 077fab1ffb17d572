"""The `salesledger` command: serve the API, manage users, show status."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from uuid import UUID

from pydantic import ValidationError

from api.bootstrap import Container, build
from api.demo_data import ActivityGenerator, teams_of
from api.rebuild_jobs import PARALLEL_FROM, default_jobs, rebuild_in_jobs
from api.settings import Settings
from api.users import Role, UserError
from consumers import logs
from consumers.backup import ImportRefused, export_lines, import_lines, write_export
from consumers.progress import progress_bar
from consumers.projector import KafkaProjector
from consumers.relay import RELAY
from consumers.schema_files import export_schemas
from consumers.status import kafka_lag
from domain.errors import NotFound
from domain.leads import Lead
from domain.opportunities import Opportunity
from projections.rebuild import collector_paused, first_difference
from projections.replay import fold_log

DEMO_USERS = (
    ("ada", Role.ADMIN, None),
    ("maria", Role.MANAGER, "east"),
    ("ryan", Role.REP, "east"),
    ("rita", Role.REP, "east"),
)
DEMO_TOKENS_FILE = "demo-tokens.txt"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    if not getattr(args, "needs_container", True):
        return args.run(None, args)
    try:
        settings = Settings()
    except ValidationError as error:
        first = error.errors()[0]
        field = "SALESLEDGER_" + str(first["loc"][0]).upper()
        print(f"salesledger: {field}: {first['msg']}", file=sys.stderr)
        return 2
    container = build(settings)
    try:
        return args.run(container, args)
    except (UserError, ValueError) as error:
        print(f"salesledger: {error}", file=sys.stderr)
        return 1
    finally:
        container.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="salesledger", description="Event-sourced B2B sales pipeline backend."
    )
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="API processes (more than 1 needs Kafka: the read models are then built by "
        "`salesledger project`, not inside the API)",
    )
    serve.set_defaults(run=_serve)

    users = commands.add_parser("users", help="manage API users").add_subparsers(title="users")
    add = users.add_parser("add", help="create a user and print its bearer token")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--team")
    add.set_defaults(run=_users_add)
    listing = users.add_parser("list", help="list users, roles and teams")
    listing.set_defaults(run=_users_list)

    demo = commands.add_parser(
        "demo-users", help="create the demo users (an admin, a manager, two reps) once"
    )
    demo.set_defaults(run=_demo_users)

    relay = commands.add_parser("relay", help="publish the event store's log to Kafka")
    relay.add_argument("--once", action="store_true", help="send what is there, then stop")
    relay.add_argument(
        "--batch-size", type=int, default=2000, help="log entries sent per acknowledged batch"
    )
    relay.add_argument(
        "--no-read-ahead",
        dest="read_ahead",
        action="store_false",
        help="read and encode the log in this process only (default: while there is a backlog, "
        "a child process reads and encodes the next batch while this one sends the last)",
    )

    relay.set_defaults(run=_relay)

    project = commands.add_parser("project", help="build read models from Kafka")
    project.add_argument("names", nargs="*", help="projections to run (default: all)")
    project.add_argument("--once", action="store_true", help="apply what is there, then stop")
    project.set_defaults(run=_project)

    history = commands.add_parser("history", help="a lead's or opportunity's events, as a timeline")
    history.add_argument("aggregate_id", help="the id of a lead or an opportunity")
    history.add_argument(
        "--show-contact", action="store_true", help="print contact details unmasked"
    )
    history.set_defaults(run=_history)

    rebuild = commands.add_parser("rebuild", help="rebuild read models from the event store")
    rebuild.add_argument("names", nargs="*", help="read models to rebuild (default: all)")
    rebuild.add_argument(
        "--until",
        type=_moment,
        help="ISO time with offset: build the read models as they were then, beside the live ones",
    )
    rebuild.add_argument(
        "--jobs",
        type=_positive,
        help="processes, each rebuilding some of the read models "
        f"(default: 2 on a machine with two cores and a log of {PARALLEL_FROM:,} events or more)",
    )
    rebuild.set_defaults(run=_rebuild)

    verify = commands.add_parser("verify", help="compare the live read models with a rebuild")
    verify.add_argument("names", nargs="*", help="read models to verify (default: all)")
    verify.set_defaults(run=_verify)

    export = commands.add_parser("export", help="write the event log as JSON Lines (backup)")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.add_argument("--after", type=int, default=0, help="only events after this position")
    export.add_argument("--since", type=_moment, help="only events at or after this time")
    export.add_argument("--until", type=_moment, help="only events at or before this time")
    export.set_defaults(run=_export)

    restore = commands.add_parser("import", help="append an export to the store (restore)")
    restore.add_argument("file", help="a JSON Lines export, or - for standard input")
    restore.set_defaults(run=_import)

    audit = commands.add_parser("audit", help="tamper evidence of the event store")
    audit_commands = audit.add_subparsers(title="audit")
    audit_verify = audit_commands.add_parser(
        "verify", help="recompute the hash chains; name the first altered, removed or moved event"
    )
    audit_verify.set_defaults(run=_audit_verify)
    audit_seal = audit_commands.add_parser("seal", help="extend the log chain to the end now")
    audit_seal.set_defaults(run=_audit_seal)

    schema = commands.add_parser("schema", help="event schemas for analytics consumers")
    schema_commands = schema.add_subparsers(title="schema")
    export = schema_commands.add_parser("export", help="write one JSON Schema per event type")
    export.add_argument("--out", type=Path, default=Path("docs/events"))
    export.set_defaults(run=_schema_export, needs_container=False)

    demo_data = commands.add_parser(
        "demo-data", help="fill the store with seeded, realistic sales activity"
    )
    demo_data.add_argument("--leads", type=int, default=500, help="how many leads to play out")
    demo_data.add_argument("--seed", type=int, default=1, help="same seed, same history")
    demo_data.add_argument("--teams", type=int, default=3)
    demo_data.add_argument("--reps-per-team", type=int, default=8)
    demo_data.set_defaults(run=_demo_data)

    status = commands.add_parser("status", help="each consumer's position and lag")
    status.set_defaults(run=_status)
    return parser


def _stop_on_signals() -> threading.Event:
    """SIGTERM or SIGINT ends the loop after the batch in hand."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _relay(container: Container, args: argparse.Namespace) -> int:
    logs.configure()
    if args.batch_size < 1:
        print("salesledger: --batch-size must be at least 1", file=sys.stderr)
        return 2
    relay = container.relay(read_ahead=args.read_ahead)
    relay.batch_size = args.batch_size
    if args.once:
        while relay.run_once():
            pass
    else:
        relay.run_forever(_stop_on_signals())
    relay.close()
    return 0


def _project(container: Container, args: argparse.Namespace) -> int:
    logs.configure()
    projector = container.projector(args.names)
    try:
        if args.once:
            _drain(projector)
        else:
            projector.run_forever(_stop_on_signals())
    finally:
        projector.close()
    return 0


def _drain(projector: KafkaProjector) -> None:
    """Polls until no lag is left (one pass more after the last message)."""
    while projector.run_once() or sum(projector.lag().values()):
        pass


def _serve(container: Container, args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    if not 0 < args.port < 65536:
        print("salesledger: --port must be between 1 and 65535", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("salesledger: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.workers > 1 and container.follower is not None:
        print(
            "salesledger: --workers above 1 needs SALESLEDGER_KAFKA_BOOTSTRAP: without Kafka "
            "each API process would build the read models itself, and they would race",
            file=sys.stderr,
        )
        return 2
    mode = "embedded (SQLite)" if container.settings.embedded else "PostgreSQL"
    print(f"SalesLedger {mode}, data in {container.settings.data_dir.resolve()}")
    print(f"listening on http://{args.host}:{args.port}  (API docs: /docs)", flush=True)
    if args.workers > 1:
        uvicorn.run(
            "api.app:create_app_from_environment",
            factory=True,
            workers=args.workers,
            host=args.host,
            port=args.port,
            log_level="info",
        )
        return 0
    app = create_app(container, follow_in_background=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def _users_add(container: Container, args: argparse.Namespace) -> int:
    role = Role(args.role)
    if role == Role.MANAGER and not args.team:
        raise UserError("a manager needs --team: managers see and act for their team")
    token = container.users.add(args.name, role, args.team, container.clock.now())
    print(token)
    return 0


def _users_list(container: Container, args: argparse.Namespace) -> int:
    for user in container.users.list():
        print(f"{user.name}\t{user.role.value}\t{user.team or '-'}")
    return 0


def _demo_users(container: Container, args: argparse.Namespace) -> int:
    """Creates the demo users on first run; tokens are kept in the data directory to reprint."""
    tokens_file = container.settings.data_dir / DEMO_TOKENS_FILE
    lines = tokens_file.read_text().splitlines() if tokens_file.exists() else []
    for name, role, team in DEMO_USERS:
        if container.users.get(name) is None:
            token = container.users.add(name, role, team, container.clock.now())
            lines.append(f"{name}\t{role.value}\t{team or '-'}\t{token}")
    tokens_file.write_text("".join(line + "\n" for line in lines))
    tokens_file.chmod(0o600)
    print("demo users (name, role, team, bearer token):")
    for line in lines:
        print("  " + line)
    return 0


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: at least 1")
    return number


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO-8601 time") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset, e.g. +00:00")
    return moment


def _rebuild(container: Container, args: argparse.Namespace) -> int:
    projections = container.chosen_projections(args.names)
    jobs = args.jobs or default_jobs(container)
    with progress_bar(container, "rebuild") as tick:
        rebuilt = rebuild_in_jobs(container, projections, args.until, jobs, tick)
    where = f" as of {args.until.isoformat()} (kept beside the live ones)" if args.until else ""
    names = ", ".join(p.name for p in projections)
    print(f"rebuilt {names} from {rebuilt.events} events{where}")
    return 0


def _verify(container: Container, args: argparse.Namespace) -> int:
    projections = container.chosen_projections(args.names)
    behind = container.lag_of(projections)
    if behind:
        print(
            f"salesledger: read models are behind the store ({behind}); verify when caught up",
            file=sys.stderr,
        )
        return 3
    with progress_bar(container, "verify") as tick, collector_paused():
        rebuilt = fold_log(projections, container.public_envelopes(), on_event=tick)
    for projection in projections:
        live = container.docs.all_docs(projection.name)
        difference = first_difference(projection.name, live, rebuilt.states[projection.name].docs)
        if difference is not None:
            print(f"DIFFERENT {difference.describe()}")
            return 1
        print(f"ok {projection.name}: {len(live)} documents equal a rebuild")
    return 0


def _export(container: Container, args: argparse.Namespace) -> int:
    if args.after < 0:
        print("salesledger: --after must not be negative", file=sys.stderr)
        return 2
    lines = export_lines(container.app, after=args.after, since=args.since, until=args.until)
    if args.out is None:
        count = write_export(lines, sys.stdout)
    else:
        with args.out.open("w", encoding="utf-8") as out:
            count = write_export(lines, out)
    last = container.app.last_position()
    print(
        f"exported {count} events; the store is at position {last} "
        f"(next incremental export: --after {last})",
        file=sys.stderr,
    )
    return 0


def _import(container: Container, args: argparse.Namespace) -> int:
    try:
        source = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    except OSError as error:
        print(f"salesledger: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    try:
        imported = import_lines(container.app, source)
    except ImportRefused as error:
        print(
            f"salesledger: import refused, nothing after the last full batch was written: {error}",
            file=sys.stderr,
        )
        return 1
    finally:
        if source is not sys.stdin:
            source.close()
    container.audit.seal()
    container.after_command()
    print(f"imported {imported.events} events; the store is at position {imported.last_position}")
    return 0


def _audit_verify(container: Container, args: argparse.Namespace) -> int:
    with progress_bar(container, "audit") as tick:
        breach = container.audit.verify(on_position=lambda p: tick({"position": p}))
    if breach is not None:
        print(f"TAMPERED {breach.describe()}")
        return 1
    sealed, _ = container.audit.last_seal()
    print(f"ok: {container.app.last_position()} log entries verified, sealed to {sealed}")
    return 0


def _audit_seal(container: Container, args: argparse.Namespace) -> int:
    print(f"sealed to position {container.audit.seal()}")
    return 0


def _history(container: Container, args: argparse.Namespace) -> int:
    try:
        aggregate_id = UUID(args.aggregate_id)
    except ValueError:
        print(f"salesledger: {args.aggregate_id!r} is not an id (a UUID)", file=sys.stderr)
        return 2
    for kind in (Lead, Opportunity):
        try:
            page = container.app.history(kind, aggregate_id, limit=1_000_000_000)
        except NotFound:
            continue
        print(f"{kind.__name__} {aggregate_id}: {page.total} events")
        for envelope in page.envelopes:
            shown = envelope if args.show_contact else container.publish(envelope)
            print(timeline_line(shown))
        return 0
    print(f"salesledger: no lead or opportunity {aggregate_id}", file=sys.stderr)
    return 1


def timeline_line(envelope: dict) -> str:
    """One event as a person reads it: when, which version, what, who, and the details."""
    details = "  ".join(f"{k}={_short(v)}" for k, v in envelope["data"].items() if v is not None)
    return (
        f"{envelope['occurred_at']}  v{envelope['aggregate_version']:<3} "
        f"{envelope['type']:<28} by {envelope['actor']:<12} {details}"
    ).rstrip()


def _short(value: object) -> str:
    if isinstance(value, dict):
        # Keyed hashes are for machines to join on; a person reading the timeline skips them.
        value = {k: v for k, v in value.items() if v is not None and not k.endswith("_hash")}
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _schema_export(_: None, args: argparse.Namespace) -> int:
    written = export_schemas(args.out)
    print(f"wrote {len(written)} schemas to {args.out}")
    return 0


def _demo_data(container: Container, args: argparse.Namespace) -> int:
    for option in ("leads", "teams", "reps_per_team"):
        if getattr(args, option) < 1:
            flag = "--" + option.replace("_", "-")
            print(f"salesledger: {flag} must be at least 1", file=sys.stderr)
            return 2
    teams = teams_of(args.teams, args.reps_per_team)
    for team in teams:  # in the directory, so that team filters work; no tokens are printed
        for name, role in [(team.manager, Role.MANAGER)] + [(r, Role.REP) for r in team.reps]:
            if container.users.get(name) is None:
                container.users.add(name, role, team.name, container.clock.now())
    accepted = ActivityGenerator(container.app, seed=args.seed, teams=teams).run(args.leads)
    container.after_command()
    print(
        f"played out {args.leads} leads: {accepted} commands, "
        f"store at position {container.app.last_position()}"
    )
    return 0


def _status(container: Container, args: argparse.Namespace) -> int:
    last = container.app.last_position()
    print(f"store position: {last}")
    if container.follower is not None:
        for name, lag in container.follower.lag().items():
            print(f"projection {name} (in-process): lag {lag}")
        return 0
    relay_position = container.positions.get(RELAY)
    print(f"relay position: {relay_position}  lag {last - relay_position}")
    for name, partitions in kafka_lag(container).items():
        behind = "  ".join(f"{p}: {lag}" for p, lag in sorted(partitions.items()) if lag)
        print(
            f"projection {name}: lag {sum(partitions.values())}"
            + (f"  ({behind})" if behind else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
