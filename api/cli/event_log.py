"""`salesledger history`, `export`, `import`, `audit` and `schema`: the event log itself."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from api.bootstrap import Container
from api.cli import schema_compat
from api.cli.args import an_id, moment, not_negative
from api.cli.schema_files import export_schemas
from api.progress import progress_bar
from domain.context import CommandContext
from domain.errors import NotFound
from domain.leads import Lead
from domain.opportunities import Opportunity
from store.backup import ImportRefused, export_lines, import_lines, write_export


def register(commands: argparse._SubParsersAction) -> None:
    history = commands.add_parser("history", help="a lead's or opportunity's events, as a timeline")
    history.add_argument("aggregate_id", type=an_id, help="the id of a lead or an opportunity")
    history.add_argument(
        "--show-contact", action="store_true", help="print contact details unmasked"
    )
    history.set_defaults(run=run_history)

    export = commands.add_parser("export", help="write the event log as JSON Lines (backup)")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.add_argument(
        "--after", type=not_negative, default=0, help="only events after this position"
    )
    export.add_argument("--since", type=moment, help="only events at or after this time")
    export.add_argument("--until", type=moment, help="only events at or before this time")
    export.set_defaults(run=run_export)

    restore = commands.add_parser("import", help="append an export to the store (restore)")
    restore.add_argument("file", help="a JSON Lines export, or - for standard input")
    restore.set_defaults(run=run_import)

    audit = commands.add_parser("audit", help="tamper evidence of the event store")
    audit_commands = audit.add_subparsers(title="audit")
    audit_verify = audit_commands.add_parser(
        "verify", help="recompute the hash chains; name the first altered, removed or moved event"
    )
    audit_verify.set_defaults(run=run_audit_verify)
    audit_seal = audit_commands.add_parser("seal", help="extend the log chain to the end now")
    audit_seal.set_defaults(run=run_audit_seal)

    erase = commands.add_parser(
        "erase-contact", help="erase a lead's contact details for good (right to erasure)"
    )
    erase.add_argument("lead_id", type=an_id, help="the id of the lead")
    erase.add_argument("--by", default="admin", help="who asked for it (recorded)")
    erase.set_defaults(run=run_erase_contact)

    schema = commands.add_parser("schema", help="event schemas for analytics consumers")
    schema_commands = schema.add_subparsers(title="schema")
    schema_export = schema_commands.add_parser("export", help="write one JSON Schema per event")
    schema_export.add_argument("--out", type=Path, default=Path("docs/events"))
    schema_export.set_defaults(run=run_schema_export, needs_container=False)
    schema_check = schema_commands.add_parser(
        "check", help="fail on a change to the schemas that would break a consumer of the release"
    )
    schema_check.add_argument("--folder", type=Path, default=Path("docs/events"))
    schema_check.set_defaults(run=run_schema_check, needs_container=False)
    schema_release = schema_commands.add_parser(
        "release", help="freeze the committed schemas as the release consumers rely on"
    )
    schema_release.add_argument("name", help="the release's name, e.g. 1.4")
    schema_release.add_argument("--folder", type=Path, default=Path("docs/events"))
    schema_release.set_defaults(run=run_schema_release, needs_container=False)


def run_export(container: Container, args: argparse.Namespace) -> int:
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


def run_import(container: Container, args: argparse.Namespace) -> int:
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


def run_erase_contact(container: Container, args: argparse.Namespace) -> int:
    lead_id = args.lead_id
    now = container.clock.now()
    try:
        result = container.app.erase_contact(
            CommandContext(args.by, now, f"erase-contact:{lead_id}"), lead_id
        )
    except NotFound:
        print(f"salesledger: no lead {lead_id}", file=sys.stderr)
        return 1
    container.after_command()
    print(f"the contact of lead {lead_id} is erased (lead at version {result.version}); "
          "its events, their audit chain and every report stay as they were")  # fmt: skip
    return 0


def run_audit_verify(container: Container, args: argparse.Namespace) -> int:
    with progress_bar(container.app.last_position(), "audit") as tick:
        breach = container.audit.verify(on_position=lambda p: tick({"position": p}))
    if breach is not None:
        print(f"TAMPERED {breach.describe()}")
        return 1
    sealed, _ = container.audit.last_seal()
    print(f"ok: {container.app.last_position()} log entries verified, sealed to {sealed}")
    return 0


def run_audit_seal(container: Container, args: argparse.Namespace) -> int:
    print(f"sealed to position {container.audit.seal()}")
    return 0


def run_history(container: Container, args: argparse.Namespace) -> int:
    aggregate_id = args.aggregate_id
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


def run_schema_check(_: None, args: argparse.Namespace) -> int:
    problems = schema_compat.breaking_since_release(args.folder)
    for problem in problems:
        print(f"breaking: {problem}", file=sys.stderr)
    if problems:
        print("bump the schema version for these (consumers of the release rely on them), or "
              "change only by adding optional fields", file=sys.stderr)  # fmt: skip
        return 1
    print(f"the schemas in {args.folder} are compatible with the release's")
    return 0


def run_schema_release(_: None, args: argparse.Namespace) -> int:
    frozen = schema_compat.freeze_release(args.folder, args.name)
    print(f"froze release {args.name}'s schemas in {frozen}")
    return 0


def run_schema_export(_: None, args: argparse.Namespace) -> int:
    written = export_schemas(args.out)
    print(f"wrote {len(written)} schemas to {args.out}")
    return 0
