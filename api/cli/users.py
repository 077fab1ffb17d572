"""`salesledger users add|move|deactivate|reactivate|token|list`: the API's users, their teams,
bearer tokens, and who is active."""

from __future__ import annotations

import argparse
import sys

from api.bootstrap import Container
from api.departures import deactivate, reactivate
from api.team_moves import move_to_team, record_first_team
from api.users import Role, UserError
from domain.teams import checked_team


def register(commands: argparse._SubParsersAction) -> None:
    users = commands.add_parser("users", help="manage API users").add_subparsers(title="users")
    add = users.add_parser("add", help="create a user and print its bearer token")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--team")
    add.set_defaults(run=run_add)
    move = users.add_parser(
        "move", help="move a user to another team (their earlier work keeps its team)"
    )
    move.add_argument("name")
    where = move.add_mutually_exclusive_group(required=True)
    where.add_argument("--team")
    where.add_argument("--no-team", action="store_true", help="leave their team")
    move.add_argument("--by", default="admin", help="who made the change (recorded)")
    move.set_defaults(run=run_move)
    leave = users.add_parser(
        "deactivate",
        help="a user leaves: token refused, leads back to the pool, open deals handed over",
    )
    leave.add_argument("name")
    leave.add_argument(
        "--opportunities-to", help="who takes their open opportunities (default: their manager)"
    )
    leave.add_argument("--by", default="admin", help="who made the change (recorded)")
    leave.set_defaults(run=run_deactivate)
    back = users.add_parser("reactivate", help="let a deactivated user sign in again")
    back.add_argument("name")
    back.set_defaults(run=run_reactivate)
    token = users.add_parser("token", help="when a user's token expires, or issue a new one")
    token.add_argument("name")
    token.add_argument(
        "--rotate", action="store_true", help="print a new token; the old one stops working"
    )
    token.set_defaults(run=run_token)
    listing = users.add_parser("list", help="list users, roles, teams and who is active")
    listing.set_defaults(run=run_list)


def run_add(container: Container, args: argparse.Namespace) -> int:
    role = Role(args.role)
    if role == Role.MANAGER and not args.team:
        raise UserError("a manager needs --team: managers see and act for their team")
    team = checked_team(args.team)
    token = container.users.add(args.name, role, team, container.clock.now())
    if team:
        record_first_team(container, "admin", args.name.strip(), team)
    print(token)
    return 0


def run_move(container: Container, args: argparse.Namespace) -> int:
    user = container.users.get(args.name)
    if user is not None and user.role == Role.MANAGER and args.no_team:
        raise UserError("a manager needs a team: managers see and act for their team")
    team = None if args.no_team else args.team
    move_to_team(container, args.by, args.name, team)
    print(f"{args.name} is in {team or 'no team'} from now on")
    return 0


def run_deactivate(container: Container, args: argparse.Namespace) -> int:
    departure = deactivate(container, args.by, args.name, args.opportunities_to)
    print(f"{args.name} is deactivated: {len(departure.leads_returned)} leads back in the pool")
    if departure.opportunities:
        print(f"{len(departure.opportunities)} open opportunities now owned by "
              f"{departure.opportunities_to}")  # fmt: skip
    return 0


def run_reactivate(container: Container, args: argparse.Namespace) -> int:
    reactivate(container, args.name)
    print(f"{args.name} may sign in again (what was handed over stays handed over)")
    return 0


def run_token(container: Container, args: argparse.Namespace) -> int:
    users = container.users
    if args.rotate:
        token, expires = users.rotate_token(args.name, container.clock.now())
        print(token)
        print(f"valid until {expires.isoformat()}", file=sys.stderr)
        return 0
    if users.get(args.name) is None:
        raise UserError(f"no user {args.name}")
    expires = users.token_expires_at(args.name)
    print(f"{args.name}'s token is valid until {expires.isoformat() if expires else 'revoked'}")
    return 0


def run_list(container: Container, args: argparse.Namespace) -> int:
    for user in container.users.list():
        state = "active" if user.active else "inactive"
        print(f"{user.name}\t{user.role.value}\t{user.team or '-'}\t{state}")
    return 0
