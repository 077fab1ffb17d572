"""`salesledger relay` and `project` with --metrics-port, as processes against the real
PostgreSQL and Kafka: what they did is on their Prometheus endpoints."""

from __future__ import annotations

from tests.builders import play_leads
from tests.integration.conftest import wait_until
from tests.servers import free_port, sample


def test_the_relay_and_a_projector_serve_their_metrics(production, processes, clock):
    play_leads(production.app, clock, 5, rep=lambda n: "ryan")
    last = production.app.last_position()
    relay_port, project_port = free_port(), free_port()
    processes(["relay", "--metrics-port", str(relay_port)]).start()
    processes(["project", "--metrics-port", str(project_port)]).start()
    wait_until(lambda: sample(relay_port, "salesledger_relay_position") == last, 120, "the relay")
    assert sample(relay_port, "salesledger_relay_events_sent_total") >= 1
    assert sample(relay_port, "salesledger_relay_lag") == 0

    def applied() -> float:
        return sample(project_port, "salesledger_projector_events_applied_total") or 0

    wait_until(lambda: applied() > 0, 120, "the projector")
    wait_until(
        lambda: sample(project_port, "salesledger_projector_lag") == 0, 120, "the projector's lag"
    )
    assert sample(project_port, "salesledger_projector_partitions") >= 1
