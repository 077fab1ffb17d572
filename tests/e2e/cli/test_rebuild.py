"""salesledger rebuild and verify on the embedded store: a damaged read model is found by
verify, naming the first difference, and repaired by rebuild."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from api.bootstrap import build
from api.cli import main
from api.settings import Settings
from consumers.rebuild_jobs import groups_of
from domain.context import CommandContext
from projections.replay import fold_until
from projections.sql_store import STORE_SOURCE
from tests.builders import capture, play_leads
from tests.conftest import FakeClock

pytestmark = pytest.mark.e2e


@pytest.fixture
def data_dir(tmp_path, embedded_env):
    return embedded_env(tmp_path / "data")


@pytest.fixture
def history(data_dir):
    """Some activity, delivered in-process to the live read models."""
    clock = FakeClock()
    container = build(Settings(data_dir=data_dir), clock=clock)
    app = container.app
    play_leads(app, clock, 5, amount=lambda n: Decimal(1000 * n))
    container.after_command()
    yield container, clock
    container.close()


def damage_one_document(container) -> str:
    key = next(k for k in container.docs.all_docs("stage_conversion") if k.startswith("opp:"))
    doc = container.docs.all_docs("stage_conversion")[key]
    doc["owner"] = "mallory"
    with container.db.transaction():
        container.db.execute(
            "UPDATE projection_docs SET doc = ? WHERE projection = 'stage_conversion' AND key = ?",
            (json.dumps(doc), key),
        )
    return key


def test_verify_passes_on_read_models_built_live(history, capsys):
    assert main(["verify"]) == 0
    out = capsys.readouterr().out
    assert "ok stage_conversion" in out and "ok ledger" in out


def test_verify_names_the_first_difference_and_rebuild_repairs_it(history, capsys):
    container, _ = history
    key = damage_one_document(container)
    assert main(["verify"]) == 1
    out = capsys.readouterr().out
    assert f"DIFFERENT stage_conversion: {key} differs (owner: live 'mallory'" in out
    assert main(["rebuild", "stage_conversion"]) == 0
    assert "rebuilt stage_conversion from" in capsys.readouterr().out
    assert main(["verify"]) == 0


def test_rebuild_gives_the_read_models_a_fresh_fold_gives(history):
    container, _ = history
    assert main(["rebuild"]) == 0
    fresh = fold_until(container.projections, container.public_envelopes())
    for projection in container.projections:
        assert container.docs.all_docs(projection.name) == fresh[projection.name].docs


@pytest.mark.parametrize("jobs", ["2", "3"])
def test_a_rebuild_in_several_processes_gives_what_one_process_gives(history, jobs):
    container, _ = history
    damage_one_document(container)
    assert main(["rebuild", "--jobs", jobs]) == 0
    fresh = fold_until(container.projections, container.public_envelopes())
    last = container.app.last_position()
    for projection in container.projections:
        assert container.docs.all_docs(projection.name) == fresh[projection.name].docs
        assert container.docs.position(projection.name, STORE_SOURCE) == last
    assert main(["verify"]) == 0


def test_read_models_are_shared_out_by_folding_cost():
    from projections.catalog import all_projections

    projections = all_projections()
    two = groups_of(projections, 2)
    # the two costliest folds in different processes, the cheap ones beside one of them
    assert [[p.name for p in group] for group in two] == [["ledger"], ["stage_conversion"]]
    assert sorted(p.name for group in two for p in group) == sorted(p.name for p in projections)
    assert len(groups_of(projections, 9)) == len(projections)
    (one,) = groups_of(projections, 1)
    assert len(one) == len(projections) and one[0].name == "ledger"


def test_after_a_rebuild_new_events_still_reach_the_read_models(history):
    container, clock = history
    assert main(["rebuild"]) == 0
    capture(container.app, CommandContext("late", clock.advance(hours=1)), company="Late Inc")
    container.after_command()
    assert main(["verify"]) == 0


def test_rebuild_until_keeps_the_past_state_beside_the_live_one(history, capsys):
    container, clock = history
    moment = (clock.now() - timedelta(hours=2)).isoformat()
    live_before = container.docs.all_docs("stage_conversion")
    assert main(["rebuild", "stage_conversion", "--until", moment]) == 0
    past = container.docs.all_docs(f"stage_conversion@{moment}")
    expected = fold_until(
        container.projections, container.public_envelopes(), clock.now() - timedelta(hours=2)
    )["stage_conversion"].docs
    assert past == expected
    assert container.docs.all_docs("stage_conversion") == live_before


def test_unknown_read_model_and_bad_time_are_refused(history, capsys):
    assert main(["rebuild", "forecastz"]) == 1
    assert "no read model named forecastz" in capsys.readouterr().err
    assert main(["rebuild", "--until", "2026-11-20T10:00:00"]) == 2
    assert "needs a UTC offset" in capsys.readouterr().err
    for jobs in ("0", "two"):
        assert main(["rebuild", "--jobs", jobs]) == 2
        assert "--jobs" in capsys.readouterr().err
