"""Projectors scale out: processes of one consumer group share the partitions, and whenever
the group changes — a process joins, leaves, or is killed in the middle of a batch — each seeks
to the offsets stored with its rows, so every event still takes effect exactly once: the read
models end equal to a rebuild from the log."""

from __future__ import annotations

from api.cli.demo_data import ActivityGenerator, teams_of
from api.cli.read_models import behind_store
from tests.integration.conftest import wait_until
from tests.integration.test_several_projectors import assert_read_models_equal_a_fresh_fold


def sales(container, leads: int, seed: int) -> None:
    ActivityGenerator(container.app, seed=seed, teams=teams_of(2, 4)).run(leads)


def some_rows_written(container) -> bool:
    return any(container.docs.positions(p.name) for p in container.projections)


def caught_up(container) -> None:
    wait_until(lambda: behind_store(container, container.projections) == "", 180, "catch-up")


def test_a_projector_joining_mid_stream_takes_partitions_without_a_double_effect(
    production, processes
):
    processes(["relay"]).start()
    processes(["project"]).start()
    sales(production, 120, seed=1)
    wait_until(lambda: some_rows_written(production), 90, "the first projector's rows")
    processes(["project"]).start()  # joins: the group rebalances mid-stream
    sales(production, 120, seed=2)
    caught_up(production)
    assert_read_models_equal_a_fresh_fold(production)


def test_a_projector_leaving_hands_its_partitions_over(production, processes):
    processes(["relay"]).start()
    staying, leaving = processes(["project"]).start(), processes(["project"]).start()
    sales(production, 120, seed=3)
    wait_until(lambda: some_rows_written(production), 90, "the projectors' rows")
    leaving.stop()  # SIGTERM: it finishes the batch in hand and leaves the group
    sales(production, 120, seed=4)
    caught_up(production)
    assert staying.proc.poll() is None
    assert_read_models_equal_a_fresh_fold(production)


def test_a_projector_killed_mid_batch_is_replaced_by_the_other(production, processes):
    processes(["relay"]).start()
    processes(["project"]).start()
    killed = processes(["project"]).start()
    sales(production, 150, seed=5)
    wait_until(lambda: some_rows_written(production), 90, "the projectors' rows")
    killed.kill_9()  # no goodbye: the group notices at the session timeout
    sales(production, 100, seed=6)
    caught_up(production)
    assert_read_models_equal_a_fresh_fold(production)
