"""The `salesledger` command: one module per command group, each a thin shell over the
composition root (`api.bootstrap`).

- serve: the HTTP API · users: users add, users list
- workers: relay, project · read_models: rebuild, verify, status
- event_log: history, export, import, audit, schema · development: demo-data, demo-users
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from api.bootstrap import build
from api.cli import development, event_log, read_models, serve, users, workers
from api.cli.observed import start_observing
from api.settings import Settings
from api.users import UserError
from domain.errors import DomainError

GROUPS = (serve, users, workers, read_models, event_log, development)


class Parser(argparse.ArgumentParser):
    """argparse, with errors said as the rest of the command says them."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        # "argument --leads: must be at least 1" → "--leads must be at least 1"
        if message.startswith("argument "):
            message = message.removeprefix("argument ").replace(": ", " ", 1)
        self.exit(2, f"salesledger: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command; returns its exit status (2 for bad arguments or settings)."""
    parser = parser_of_commands()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # bad arguments, or --help
        return int(exit_.code or 0)
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
    start_observing(settings, args)  # before building: it may rebuild stale read models
    container = build(settings)
    try:
        return args.run(container, args)
    except (UserError, DomainError, ValueError) as error:
        print(f"salesledger: {error}", file=sys.stderr)
        return 1
    finally:
        container.close()


def parser_of_commands() -> argparse.ArgumentParser:
    parser = Parser(prog="salesledger", description="Event-sourced B2B sales pipeline backend.")
    commands = parser.add_subparsers(title="commands")
    for group in GROUPS:
        group.register(commands)
    return parser
