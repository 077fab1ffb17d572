"""`salesledger scheduler`: a preview that changes nothing, and one pass that carries it out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from api.bootstrap import build
from api.cli import main
from api.settings import Settings
from api.users import Role
from domain.context import CommandContext
from tests.builders import capture
from tests.conftest import FakeClock

pytestmark = pytest.mark.e2e


@pytest.fixture
def stale_lead(tmp_path, embedded_env):
    """A lead ryan claimed ten days ago and never followed up."""
    embedded_env(tmp_path / "data")
    ten_days_ago = datetime.now(UTC) - timedelta(days=10)
    container = build(Settings(), clock=FakeClock(ten_days_ago))
    try:
        container.users.add("ryan", Role.REP, "east", ten_days_ago)
        lead = capture(container.app, CommandContext("ryan", ten_days_ago))
        container.app.claim_lead(CommandContext("ryan", ten_days_ago), lead)
    finally:
        container.close()
    return lead, ten_days_ago


def test_preview_lists_the_decision_and_once_carries_it_out(stale_lead, capsys):
    lead, claimed_at = stale_lead
    assert main(["scheduler", "--preview", "--json"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    decision = json.loads(line)
    assert (decision["action"], decision["subject_id"], decision["rule"]) == (
        "return_to_pool", str(lead), "default",
    )  # fmt: skip
    assert decision["due_at"] == (claimed_at + timedelta(days=7)).isoformat()
    assert main(["scheduler", "--preview"]) == 0  # nothing was done: the same again
    assert str(lead) in capsys.readouterr().out
    assert main(["scheduler", "--once"]) == 0
    assert capsys.readouterr().out.startswith("1 done")
    assert main(["scheduler", "--preview", "--json"]) == 0
    assert capsys.readouterr().out == ""


def test_preview_looks_ahead_to_a_given_time(tmp_path, embedded_env, capsys):
    embedded_env(tmp_path / "data")
    soon = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    assert main(["scheduler", "--preview", "--at", soon]) == 0
    assert "0 decisions" in capsys.readouterr().err


def test_at_without_preview_is_refused(tmp_path, embedded_env, capsys):
    embedded_env(tmp_path / "data")
    assert main(["scheduler", "--once", "--at", "2027-01-01T00:00:00+00:00"]) == 1
    assert "--at goes with --preview" in capsys.readouterr().err
    assert main(["scheduler", "--preview", "--at", "friday"]) == 2
