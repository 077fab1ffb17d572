"""Faults on real servers: kill -9 the relay and a projector mid-stream, restart the broker.
Afterwards every event is in Kafka at least once, and every read model equals a rebuild from
the store: nothing lost, nothing counted twice."""

from __future__ import annotations

import subprocess

import pytest

from consumers.relay import RELAY
from consumers.status import kafka_lag
from projections.replay import fold_until
from store.log_reader import all_envelopes
from tests.builders import play_leads
from tests.integration.conftest import ROOT, wait_until
from tests.integration.kafka_reading import envelopes, read_all

SERVICES_SCRIPT = ROOT / "scripts" / "services.sh"
KAFKA_PID = ROOT / ".services" / "kafka" / "kafka.pid"


def write_history(app, clock, leads: int) -> None:
    # one lead a rep: within the claim limit
    play_leads(
        app,
        clock,
        leads,
        claimed=lambda n: n % 3 == 0,
        converted=lambda n: n % 6 == 0,
        hours_apart=0,
    )


def assert_everything_delivered_once_in_effect(container) -> None:
    stored = [container.publish(e) for e in all_envelopes(container.app)]
    published = envelopes(
        read_all(container.settings.kafka_bootstrap, container.settings.topic_prefix)
    )
    assert {(e["aggregate_id"], e["aggregate_version"]) for e in published} == {
        (e["aggregate_id"], e["aggregate_version"]) for e in stored
    }
    fresh = fold_until(container.projections, stored)
    for projection in container.projections:
        assert container.docs.all_docs(projection.name) == fresh[projection.name].docs


def projectors_caught_up(container) -> bool:
    settings = container.settings
    lag = kafka_lag(
        settings.kafka_bootstrap, settings.topic_prefix, container.docs, container.projections
    )
    return all(sum(partitions.values()) == 0 for partitions in lag.values())


def relay_caught_up(container) -> bool:
    return container.positions.get(RELAY) >= container.app.last_position()


def test_relay_killed_mid_stream_resends_and_loses_nothing(production, processes, clock):
    write_history(production.app, clock, 1000)
    relay = processes(["relay", "--batch-size", "10"]).start()
    wait_until(lambda: production.positions.get(RELAY) > 0, 60, "the relay to start sending")
    relay.kill_9()
    assert not relay_caught_up(production), "the relay finished before it could be killed"
    write_history(production.app, clock, 30)
    processes(["relay"]).start()
    wait_until(lambda: relay_caught_up(production), 60, "the restarted relay to catch up")
    processes(["project", "--once"]).start().proc.wait(timeout=120)
    assert_everything_delivered_once_in_effect(production)


def test_projector_killed_mid_batch_applies_every_event_exactly_once(production, processes, clock):
    write_history(production.app, clock, 300)
    processes(["relay", "--once"]).start().proc.wait(timeout=120)
    projector = processes(["project"]).start()

    def some_rows_written() -> bool:
        return any(production.docs.positions(p.name) for p in production.projections)

    wait_until(some_rows_written, 60, "the projector to write its first batch")
    projector.kill_9()
    processes(["project"]).start()
    wait_until(lambda: projectors_caught_up(production), 90, "the projector to catch up")
    assert_everything_delivered_once_in_effect(production)


@pytest.mark.skipif(not KAFKA_PID.exists(), reason="the broker was not started by this project")
def test_broker_restart_during_a_run_loses_nothing(production, processes, clock):
    processes(["relay"]).start()
    processes(["project"]).start()
    write_history(production.app, clock, 60)
    wait_until(lambda: relay_caught_up(production), 60, "the relay to send the first part")
    subprocess.run([SERVICES_SCRIPT, "kafka-down"], check=True)
    write_history(production.app, clock, 60)  # written while the broker is down
    subprocess.run([SERVICES_SCRIPT, "kafka-up"], check=True)
    write_history(production.app, clock, 30)
    wait_until(lambda: relay_caught_up(production), 120, "the relay to reconnect and catch up")
    wait_until(lambda: projectors_caught_up(production), 120, "the projectors to catch up")
    assert_everything_delivered_once_in_effect(production)
