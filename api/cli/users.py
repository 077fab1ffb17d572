"""`salesledger users add|list`: the API's users and their bearer tokens."""

from __future__ import annotations

import argparse

from api.bootstrap import Container
from api.users import Role, UserError


def register(commands: argparse._SubParsersAction) -> None:
    users = commands.add_parser("users", help="manage API users").add_subparsers(title="users")
    add = users.add_parser("add", help="create a user and print its bearer token")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--team")
    add.set_defaults(run=run_add)
    listing = users.add_parser("list", help="list users, roles and teams")
    listing.set_defaults(run=run_list)


def run_add(container: Container, args: argparse.Namespace) -> int:
    role = Role(args.role)
    if role == Role.MANAGER and not args.team:
        raise UserError("a manager needs --team: managers see and act for their team")
    token = container.users.add(args.name, role, args.team, container.clock.now())
    print(token)
    return 0


def run_list(container: Container, args: argparse.Namespace) -> int:
    for user in container.users.list():
        print(f"{user.name}\t{user.role.value}\t{user.team or '-'}")
    return 0
