"""Several processes folding the same read models give exactly what one process gives.

Documents shared by aggregates on different partitions (applied-version buckets, a rep's
week) used to be read, changed and written back by each process in its own transaction, and
the last commit won: two projectors of one consumer group undercounted silently.
"""

from __future__ import annotations

import threading

from api.bootstrap import build, relay_of
from api.cli.demo_data import ActivityGenerator, teams_of
from api.cli.read_models import behind_store
from projections.replay import fold_until
from store.log_reader import all_envelopes
from tests.integration.conftest import wait_until


def assert_read_models_equal_a_fresh_fold(container) -> None:
    fresh = fold_until(container.projections, map(container.publish, all_envelopes(container.app)))
    for projection in container.projections:
        live = container.docs.all_docs(projection.name)
        assert live == fresh[projection.name].docs, f"{projection.name} differs from a rebuild"


def demo_activity(container, leads: int) -> None:
    ActivityGenerator(container.app, seed=9, teams=teams_of(2, 4)).run(leads)


def test_two_projectors_in_one_group_build_what_one_builds(production, processes):
    demo_activity(production, 250)
    relay = relay_of(production)
    while relay.run_once():
        pass
    relay.close()
    first, second = (processes(["project", "--once"]).start() for _ in range(2))
    assert first.proc.wait(timeout=180) == 0
    assert second.proc.wait(timeout=180) == 0
    assert behind_store(production, production.projections) == ""
    assert_read_models_equal_a_fresh_fold(production)


def test_two_long_running_projectors_sharing_partitions_stay_exact(production, processes):
    relay = processes(["relay"]).start()
    projectors = [processes(["project"]).start() for _ in range(2)]
    demo_activity(production, 200)
    wait_until(lambda: behind_store(production, production.projections) == "", 120, "catch-up")
    for process in (*projectors, relay):
        process.stop()
    assert_read_models_equal_a_fresh_fold(production)


def test_two_api_processes_without_kafka_fold_the_read_models_exactly(production_settings, clock):
    """Two API processes on one PostgreSQL database and no Kafka each deliver the log to the
    read models in-process, at the same time."""
    settings = production_settings.model_copy(update={"kafka_bootstrap": None})
    writer, other = build(settings, clock=clock), build(settings, clock=clock)
    done = threading.Event()
    failures: list[BaseException] = []

    def follow(container) -> None:
        try:
            while not done.is_set():
                container.follower.run_once()
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            failures.append(error)

    followers = [threading.Thread(target=follow, args=(c,)) for c in (writer, other)]
    for thread in followers:
        thread.start()
    try:
        demo_activity(writer, 150)
    finally:
        done.set()
        for thread in followers:
            thread.join()
    try:
        assert failures == []
        other.follower.catch_up()
        assert_read_models_equal_a_fresh_fold(other)
    finally:
        writer.close()
        other.close()
