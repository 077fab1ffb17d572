"""`salesledger demo-users` and `demo-data`: a store to try the product on."""

from __future__ import annotations

import argparse

from api.bootstrap import Container
from api.cli.args import positive
from api.cli.demo_data import ActivityGenerator, teams_of
from api.users import Role

DEMO_USERS = (
    ("ada", Role.ADMIN, None),
    ("maria", Role.MANAGER, "east"),
    ("ryan", Role.REP, "east"),
    ("rita", Role.REP, "east"),
)
DEMO_TOKENS_FILE = "demo-tokens.txt"


def register(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser(
        "demo-users", help="create the demo users (an admin, a manager, two reps) once"
    )
    demo.set_defaults(run=run_demo_users)

    demo_data = commands.add_parser(
        "demo-data", help="fill the store with seeded, realistic sales activity"
    )
    demo_data.add_argument("--leads", type=positive, default=500, help="leads to play out")
    demo_data.add_argument("--seed", type=int, default=1, help="same seed, same history")
    demo_data.add_argument("--teams", type=positive, default=3)
    demo_data.add_argument("--reps-per-team", type=positive, default=8)
    demo_data.set_defaults(run=run_demo_data)


def run_demo_users(container: Container, args: argparse.Namespace) -> int:
    """Creates the demo users on first run; tokens are kept in the data directory to reprint."""
    tokens_file = container.settings.data_dir / DEMO_TOKENS_FILE
    lines = tokens_file.read_text().splitlines() if tokens_file.exists() else []
    now = container.clock.now()
    for name, role, team in DEMO_USERS:
        if container.users.get(name) is None:
            token = container.users.add(name, role, team, now)
            lines.append(f"{name}\t{role.value}\t{team or '-'}\t{token}")
        elif (container.users.token_expires_at(name) or now) <= now:
            token, _ = container.users.rotate_token(name, now)  # expired: a new one to print
            lines = [line for line in lines if not line.startswith(f"{name}\t")]
            lines.append(f"{name}\t{role.value}\t{team or '-'}\t{token}")
    tokens_file.write_text("".join(line + "\n" for line in lines))
    tokens_file.chmod(0o600)
    print("demo users (name, role, team, bearer token):")
    for line in lines:
        print("  " + line)
    return 0


def run_demo_data(container: Container, args: argparse.Namespace) -> int:
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
