"""The salesledger command: users, demo users, status, and clear errors with non-zero exits."""

from __future__ import annotations

import pytest

from api.cli import main

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def data_dir(tmp_path, embedded_env):
    return embedded_env(tmp_path / "data")


def test_users_add_prints_a_token_and_users_list_shows_the_user(capsys):
    assert main(["users", "add", "lena", "--role", "rep", "--team", "north"]) == 0
    token = capsys.readouterr().out.strip()
    assert len(token) >= 30
    assert main(["users", "list"]) == 0
    assert capsys.readouterr().out == "lena\trep\tnorth\tactive\n"


def test_users_move_records_the_move_and_the_history_keeps_the_old_team(capsys):
    main(["users", "add", "lena", "--role", "rep", "--team", "north"])
    assert main(["users", "move", "lena", "--team", "south", "--by", "ada"]) == 0
    assert "lena is in south from now on" in capsys.readouterr().out
    main(["users", "list"])
    assert capsys.readouterr().out == "lena\trep\tsouth\tactive\n"
    assert main(["export"]) == 0
    moves = [line for line in capsys.readouterr().out.splitlines() if "RepMovedToTeam" in line]
    assert len(moves) == 2  # joined north when added, then moved to south
    assert '"team": "south"' in moves[1] and '"previous_team": "north"' in moves[1]
    assert '"actor": "ada"' in moves[1]


def test_a_bad_team_move_is_refused_with_a_message(capsys):
    main(["users", "add", "lena", "--role", "rep", "--team", "north"])
    main(["users", "add", "boss", "--role", "manager", "--team", "north"])
    capsys.readouterr()
    assert main(["users", "move", "nobody", "--team", "south"]) == 1
    assert "no user nobody" in capsys.readouterr().err
    assert main(["users", "move", "lena", "--team", "north"]) == 1
    assert "already in north" in capsys.readouterr().err
    assert main(["users", "move", "lena", "--team", " "]) == 1
    assert "team" in capsys.readouterr().err
    assert main(["users", "move", "boss", "--no-team"]) == 1
    assert "manager needs a team" in capsys.readouterr().err
    assert main(["users", "move", "lena"]) == 2  # --team or --no-team
    main(["users", "list"])
    assert capsys.readouterr().out == "boss\tmanager\tnorth\tactive\nlena\trep\tnorth\tactive\n"


def test_tokens_are_stored_hashed(capsys, data_dir):
    main(["users", "add", "lena", "--role", "rep"])
    token = capsys.readouterr().out.strip()
    assert token.encode() not in (data_dir / "readmodels.sqlite").read_bytes()


def test_adding_an_existing_user_fails_with_a_message(capsys):
    main(["users", "add", "lena", "--role", "rep"])
    assert main(["users", "add", "lena", "--role", "rep"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_a_manager_needs_a_team(capsys):
    assert main(["users", "add", "boss", "--role", "manager"]) == 1
    assert "--team" in capsys.readouterr().err


def test_an_unknown_role_is_refused(capsys):
    assert main(["users", "add", "x", "--role", "king"]) == 2


def test_a_bad_setting_names_the_variable(capsys, monkeypatch):
    monkeypatch.setenv("SALESLEDGER_CLAIM_LIMIT", "many")
    assert main(["status"]) == 2
    assert "SALESLEDGER_CLAIM_LIMIT" in capsys.readouterr().err


def test_demo_users_are_created_once_and_their_tokens_reprinted(capsys):
    assert main(["demo-users"]) == 0
    first = capsys.readouterr().out
    assert main(["demo-users"]) == 0
    assert capsys.readouterr().out == first
    assert {"ada", "maria", "ryan", "rita"} <= {line.split()[0] for line in first.splitlines()[1:]}


def test_history_prints_a_readable_timeline_with_contact_masked(capsys, data_dir):
    from api.bootstrap import build
    from api.settings import Settings
    from tests.builders import capture
    from tests.conftest import FakeClock

    clock = FakeClock()
    container = build(Settings(data_dir=data_dir), clock=clock)
    lead = capture(container.app, container_ctx(clock))
    container.app.claim_lead(container_ctx(clock), lead)
    container.close()
    assert main(["history", str(lead)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Lead {lead}: 2 events"
    assert "v1" in lines[1] and "LeadCaptured" in lines[1] and "by ryan" in lines[1]
    assert "13800001234" not in lines[1] and "***1234" in lines[1]
    assert "LeadClaimed" in lines[2] and "rep=ryan" in lines[2]


def test_history_of_an_unknown_id_fails_with_a_message(capsys):
    assert main(["history", "00000000-0000-0000-0000-000000000001"]) == 1
    assert "no lead or opportunity" in capsys.readouterr().err
    assert main(["history", "not-an-id"]) == 2


def container_ctx(clock):
    from domain.context import CommandContext

    return CommandContext("ryan", clock.now())


def test_demo_data_is_seeded_and_fills_the_reports(capsys, data_dir):
    assert main(["demo-data", "--leads", "40", "--seed", "3"]) == 0
    first = capsys.readouterr().out
    assert "played out 40 leads" in first
    assert main(["users", "list"]) == 0
    assert "manager0\tmanager\tteam0" in capsys.readouterr().out
    assert main(["verify"]) == 0


def test_demo_data_with_the_same_seed_plays_the_same_history(tmp_path, embedded_env, capsys):
    outputs = []
    for run in ("a", "b"):
        embedded_env(tmp_path / run)
        assert main(["demo-data", "--leads", "25", "--seed", "9"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]


def test_demo_data_refuses_nonsense_sizes(capsys):
    assert main(["demo-data", "--leads", "0"]) == 2
    assert "--leads must be at least 1" in capsys.readouterr().err


def test_zero_api_workers_is_refused(capsys):
    assert main(["serve", "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err
