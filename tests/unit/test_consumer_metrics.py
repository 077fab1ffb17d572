"""The relay's and projectors' metrics are read off the events they log."""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry

from api.consumer_metrics import ConsumerMetrics
from consumers.logs import log_event


def test_the_consumers_logged_events_become_their_metrics():
    registry = CollectorRegistry()
    handler = ConsumerMetrics(registry)
    log = logging.getLogger("salesledger.test_metrics")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        log_event(log, "relay.batch", sent=120, position=500, lag=30)
        log_event(log, "relay.batch", sent=30, position=530, lag=0)
        log_event(log, "projector.assigned", projection="ledger", partitions=2)
        log_event(log, "projector.batch", projection="ledger", read=10, applied=9, lag=4,
                  offsets={"sl.lead.v1:0": 7}, lag_by_partition={"sl.lead.v1:0": 4})  # fmt: skip
        log_event(log, "rebuild.progress", read_models="ledger", position=0, total=900, done=False)
        log_event(log, "rebuild.progress", read_models="ledger", position=600, total=900)
        log.info("not an event")
    finally:
        log.removeHandler(handler)
    value = registry.get_sample_value
    assert value("salesledger_relay_events_sent_total") == 150
    assert (value("salesledger_relay_position"), value("salesledger_relay_lag")) == (530, 0)
    ledger = {"projection": "ledger"}
    assert value("salesledger_projector_partitions", ledger) == 2
    assert value("salesledger_projector_events_applied_total", ledger) == 9
    partition = {**ledger, "partition": "sl.lead.v1:0"}
    assert value("salesledger_projector_lag", partition) == 4
    assert value("salesledger_projector_offset", partition) == 7

    rebuild = {"read_models": "ledger"}
    assert value("salesledger_rebuild_position", rebuild) == 600
    assert value("salesledger_rebuild_total", rebuild) == 900
    assert value("salesledger_rebuild_running", rebuild) == 1
