"""Prometheus metrics (prometheus_client): the API's requests and commands, measured by an ASGI
middleware, and the store's position and the in-process read models' lag, read at each scrape.
`GET /metrics` serves them; `salesledger relay` and `project` serve their own on a port of
their own (`api.consumer_metrics`)."""

from __future__ import annotations

from time import perf_counter
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COMMAND_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class ApiMetrics:
    """One registry an app: tests build many apps in one process."""

    def __init__(self, container: Any) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("salesledger_http_requests", "HTTP requests answered",
                                ["method", "route", "status"], registry=self.registry)  # fmt: skip
        self.latency = Histogram("salesledger_http_request_duration_seconds",
                                 "time from a request to its answer", ["method", "route"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)  # fmt: skip
        self.commands = Counter("salesledger_commands", "commands by route and outcome (done, "
                                "replayed, conflict, refused, unavailable, failed)",
                                ["command", "outcome"], registry=self.registry)  # fmt: skip
        self.registry.register(StoreCollector(container))

    def observe(self, method: str, route: str, status: int, replayed: bool, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if method in COMMAND_METHODS:
            self.commands.labels(f"{method} {route}", _outcome(status, replayed)).inc()

    def answer(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def _outcome(status: int, replayed: bool) -> str:
    if replayed:
        return "replayed"
    if status < 400:
        return "done"
    if status == 409:
        return "conflict"
    if status == 503:
        return "unavailable"
    return "refused" if status < 500 else "failed"


class StoreCollector(Collector):
    """Read when scraped: the log's last position and each in-process read model's lag."""

    def __init__(self, container: Any) -> None:
        self.container = container

    def collect(self):  # noqa: ANN201 - prometheus_client's protocol
        position = GaugeMetricFamily("salesledger_store_position", "the log's last position")
        position.add_metric([], self.container.app.last_position())
        yield position
        follower = self.container.follower
        if follower is not None:
            lag = GaugeMetricFamily("salesledger_projection_lag",
                                    "log positions an in-process read model is behind",
                                    labels=["read_model"])  # fmt: skip
            for name, behind in follower.lag().items():
                lag.add_metric([name], behind)
            yield lag


class Measured:
    """ASGI middleware: each HTTP request counted by its route's template (never the raw path:
    ids would make a series each), its status and its time."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, answered = perf_counter(), {"status": 500, "replayed": False}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered["status"] = message["status"]
                answered["replayed"] = any(
                    name.lower() == b"idempotent-replayed" for name, _ in message.get("headers", [])
                )
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe(scope["method"], route, answered["status"],
                                 answered["replayed"], perf_counter() - started)  # fmt: skip
