"""The relay's, the projectors', the scheduler's and a rebuild's Prometheus metrics, served on
a port of their own (`--metrics-port`). They are read off the events the consumers already log
(`log_event`), so the consumers' code carries no metrics of its own and the figures are the
logs' figures."""

from __future__ import annotations

import json
import logging
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


class ConsumerMetrics(logging.Handler):
    """A logging handler that turns the consumers' events into counters and gauges."""

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__(level=logging.DEBUG)
        r = registry
        self.sent = Counter(
            "salesledger_relay_events_sent", "events the relay sent to Kafka", registry=r
        )
        self.relay_position = Gauge(
            "salesledger_relay_position", "the log position sent up to", registry=r
        )
        self.relay_lag = Gauge(
            "salesledger_relay_lag", "log positions the relay has still to send", registry=r
        )
        self.relay_retries = Counter(
            "salesledger_relay_retries", "outages the relay waited out", registry=r
        )
        labels = ["projection"]
        self.read = Counter(
            "salesledger_projector_messages_read", "messages read from Kafka", labels, registry=r
        )
        self.applied = Counter(
            "salesledger_projector_events_applied",
            "events folded into read models",
            labels,
            registry=r,
        )
        self.lag = Gauge(
            "salesledger_projector_lag",
            "messages a read model is behind, per partition",
            [*labels, "partition"],
            registry=r,
        )
        self.offset = Gauge(
            "salesledger_projector_offset",
            "the offset stored with the rows, per partition",
            [*labels, "partition"],
            registry=r,
        )
        self.retries = Counter(
            "salesledger_projector_retries", "outages a projector waited out", labels, registry=r
        )
        self.partitions = Gauge(
            "salesledger_projector_partitions",
            "partitions assigned to this process",
            labels,
            registry=r,
        )

        self.passes = Counter("salesledger_scheduler_passes", "scheduler passes", registry=r)
        self.due = Gauge("salesledger_scheduler_due", "decisions due at the last pass", registry=r)
        self.done = Counter("salesledger_scheduler_done", "decisions carried out, by action",
                            ["action"], registry=r)  # fmt: skip
        self.refused = Counter("salesledger_scheduler_refused",
                               "decisions the record's own state refused", registry=r)  # fmt: skip

        models = ["read_models"]
        self.rebuild_position = Gauge("salesledger_rebuild_position", "log position a rebuild "
                                      "has folded up to", models, registry=r)  # fmt: skip
        self.rebuild_total = Gauge("salesledger_rebuild_total", "log position a rebuild "
                                   "folds up to (the store's last at its start)", models,
                                   registry=r)  # fmt: skip
        self.rebuild_running = Gauge("salesledger_rebuild_running", "1 while a rebuild runs",
                                     models, registry=r)  # fmt: skip

    server: Any = None  # the endpoint serving the registry, once started

    def close(self) -> None:
        """Stops serving and counting."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        consumers = logging.getLogger("salesledger")
        consumers.removeHandler(self)
        consumers.setLevel(logging.NOTSET)
        super().close()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            event = json.loads(record.getMessage())
        except ValueError:
            return
        if isinstance(event, dict):
            self.count(event)

    def count(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "relay.batch":
            self.sent.inc(event["sent"])
            self.relay_position.set(event["position"])
            self.relay_lag.set(event["lag"])
        elif kind == "relay.retry":
            self.relay_retries.inc()
        elif kind == "projector.batch":
            name = event["projection"]
            self.read.labels(name).inc(event["read"])
            self.applied.labels(name).inc(event["applied"])
            for partition, behind in event.get("lag_by_partition", {}).items():
                self.lag.labels(name, partition).set(behind)
            for partition, offset in event.get("offsets", {}).items():
                self.offset.labels(name, partition).set(offset)
        elif kind == "projector.assigned":
            self.partitions.labels(event["projection"]).set(event["partitions"])
        elif kind == "projector.retry":
            self.retries.labels(event["projection"]).inc()
        elif kind == "scheduler.pass":
            self.passes.inc()
            self.due.set(event["due"])
            for action, count in event["done"].items():
                self.done.labels(action).inc(count)
            self.refused.inc(event["refused"])
        elif kind == "rebuild.progress":
            models = event["read_models"]
            self.rebuild_position.labels(models).set(event["position"])
            self.rebuild_total.labels(models).set(event["total"])
            if "done" in event:
                self.rebuild_running.labels(models).set(0 if event["done"] else 1)


def serve(port: int, host: str = "0.0.0.0") -> ConsumerMetrics:  # noqa: S104 - a scrape target
    """Starts the metrics endpoint (http://host:port/metrics) in a background thread; the
    handler's `close()` stops it (a process that serves until it ends never needs to)."""
    registry = CollectorRegistry()
    handler = ConsumerMetrics(registry)
    consumers = logging.getLogger("salesledger")  # the consumers' loggers
    consumers.addHandler(handler)
    consumers.setLevel(logging.DEBUG)  # a quiet scheduler pass logs at debug: count it too
    server, _ = start_http_server(port, addr=host, registry=registry)
    handler.server = server
    return handler
