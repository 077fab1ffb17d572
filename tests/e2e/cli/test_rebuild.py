"""salesledger rebuild and verify on the embedded store: a damaged read model is found by
verify, naming the first difference, and repaired by rebuild."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from api.bootstrap import build
from api.cli import main
from api.consumer_metrics import ConsumerMetrics
from api.settings import Settings
from consumers.rebuild_jobs import groups_of
from domain.context import CommandContext
from projections.replay import fold_until
from projections.sql_store import STORE_SOURCE
from tests.builders import capture, play_leads
from tests.conftest import FakeClock
from tests.servers import free_port, sample

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


def damage_one_row(container) -> str:
    (deal,) = container.db.read("SELECT MIN(opportunity_id) FROM rm_opportunity")[0]
    with container.db.transaction():
        container.db.execute(
            "UPDATE rm_opportunity SET owner = 'mallory' WHERE opportunity_id = ?", (deal,)
        )
    return f"rm_opportunity:{deal}"


def test_verify_passes_on_read_models_built_live(history, capsys):
    assert main(["verify"]) == 0
    out = capsys.readouterr().out
    assert "ok ledger" in out


def test_verify_names_the_first_difference_and_rebuild_repairs_it(history, capsys):
    container, _ = history
    key = damage_one_row(container)
    assert main(["verify"]) == 1
    out = capsys.readouterr().out
    assert f"DIFFERENT ledger: {key} differs (owner: live 'mallory'" in out
    assert main(["rebuild", "ledger"]) == 0
    assert "rebuilt ledger from" in capsys.readouterr().out
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
    damage_one_row(container)
    assert main(["rebuild", "--jobs", jobs]) == 0
    fresh = fold_until(container.projections, container.public_envelopes())
    last = container.app.last_position()
    for projection in container.projections:
        assert container.docs.all_docs(projection.name) == fresh[projection.name].docs
        assert container.docs.position(projection.name, STORE_SOURCE) == last
    assert main(["verify"]) == 0


def test_read_models_are_shared_out_by_folding_cost():
    projections = [SimpleNamespace(name=name) for name in ("cheap", "ledger", "other")]
    two = groups_of(projections, 2)  # type: ignore[arg-type]
    # the costliest fold in a process of its own, the cheap ones beside each other
    assert [[p.name for p in group] for group in two] == [["ledger"], ["cheap", "other"]]
    assert len(groups_of(projections, 9)) == len(projections)  # type: ignore[arg-type]
    (one,) = groups_of(projections, 1)  # type: ignore[arg-type]
    assert len(one) == len(projections) and one[0].name == "ledger"


def test_after_a_rebuild_new_events_still_reach_the_read_models(history):
    container, clock = history
    assert main(["rebuild"]) == 0
    capture(container.app, CommandContext("late", clock.advance(hours=1)), company="Late Inc")
    container.after_command()
    assert main(["verify"]) == 0


def test_rebuild_until_is_refused_for_the_ledger_which_answers_as_of_itself(history, capsys):
    container, clock = history
    before = container.docs.all_docs("ledger")
    moment = (clock.now() - timedelta(hours=2)).isoformat()
    assert main(["rebuild", "--until", moment]) == 2
    assert "ledger keeps its history and answers as_of by itself" in capsys.readouterr().err
    assert container.docs.all_docs("ledger") == before


def test_unknown_read_model_and_bad_time_are_refused(history, capsys):
    assert main(["rebuild", "forecastz"]) == 1
    assert "no read model named forecastz" in capsys.readouterr().err
    assert main(["rebuild", "--until", "2026-11-20T10:00:00"]) == 2
    assert "needs a UTC offset" in capsys.readouterr().err
    for jobs in ("0", "two"):
        assert main(["rebuild", "--jobs", jobs]) == 2
        assert "--jobs" in capsys.readouterr().err


@pytest.fixture
def metrics_port():
    """A port for `--metrics-port`; the endpoint a command started there is stopped after."""
    yield free_port()
    for handler in logging.getLogger("salesledger").handlers[:]:
        if isinstance(handler, ConsumerMetrics):
            handler.close()


def rebuild_figures(port: int) -> tuple[float | None, ...]:
    ledger = {"read_models": "ledger"}
    names = (
        "salesledger_rebuild_position",
        "salesledger_rebuild_total",
        "salesledger_rebuild_running",
    )
    return tuple(sample(port, name, **ledger) for name in names)


def test_a_rebuilds_progress_is_on_its_metrics_endpoint(history, metrics_port):
    container, _ = history
    assert main(["rebuild", "ledger", "--metrics-port", str(metrics_port)]) == 0
    last = container.app.last_position()
    assert rebuild_figures(metrics_port) == (last, last, 0)


def test_tables_rebuilt_at_start_up_show_on_the_workers_metrics(history, metrics_port):
    """A worker starting on tables of an older schema rebuilds them before it works: the
    endpoint is up already, so an operator sees why the worker is not yet working."""
    container, _ = history
    with container.db.transaction():
        container.db.execute(
            "UPDATE read_model_versions SET version = 0 WHERE read_model = 'ledger'"
        )
    assert main(["scheduler", "--preview", "--metrics-port", str(metrics_port)]) == 0
    last = container.app.last_position()
    assert rebuild_figures(metrics_port) == (last, last, 0)
