"""The FastAPI application: composes routers, error handling and the container."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from ipaddress import ip_address
from urllib.parse import urlparse

from fastapi import FastAPI
from starlette.responses import Response

from api import problems
from api.bootstrap import Container, build, scheduler_of
from api.metrics import ApiMetrics, Measured
from api.responses import JSONResponse
from api.routers import (
    alerts,
    dashboard,
    history,
    leads,
    management,
    me,
    opportunities,
    pipelines,
    reports,
    rules,
    schemas,
    targets,
    users,
)
from api.settings import Settings
from consumers import logs

CATCH_UP_SECONDS = 0.5


def create_app_from_environment() -> FastAPI:
    """The service's app with a container of its own, built from SALESLEDGER_* settings: what
    each worker process of `salesledger serve --workers N` runs."""
    settings = Settings()
    if settings.log_format == "json":  # a worker process configures its own logging
        logs.configure(log_format="json")
    return create_app(build(settings), follow_in_background=True, owns_container=True)


def create_app(
    container: Container, *, follow_in_background: bool = False, owns_container: bool = False
) -> FastAPI:
    """The API over a built container. In the service, a background thread also delivers
    events written by other processes (the CLI, a second API) to the in-process projections."""
    stop = threading.Event()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        threads = []
        if follow_in_background and container.follower is not None:
            threads.append(threading.Thread(target=_follow, args=(container, stop), daemon=True,
                                            name="salesledger-follower"))  # fmt: skip
            interval = container.settings.scheduler_interval
            if interval > 0:  # the embedded mode runs everything in one process
                scheduler = scheduler_of(container)
                threads.append(threading.Thread(
                    target=scheduler.run_forever, args=(interval, stop), daemon=True,
                    name="salesledger-scheduler",
                ))  # fmt: skip
        for thread in threads:
            thread.start()
        # What start-up built (modules, the container, the routes: hundreds of thousands of
        # objects) lives as long as the process: frozen, the collector's full passes skip it.
        # Each such pass walked it all, 60 ms in whichever request was running (3 ms now).
        gc.freeze()
        yield
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        if owns_container:
            container.close()

    app = FastAPI(
        title="SalesLedger",
        version="1",
        description="Event-sourced B2B sales pipeline: leads, opportunities and their reports.",
        lifespan=lifespan,
        default_response_class=JSONResponse,  # money exact (api.responses)
    )
    app.state.container = container
    app.state.report_slots = asyncio.Semaphore(report_slots(container))
    problems.install(app)
    for module in (
        leads, opportunities, history, reports, management, pipelines, targets, rules, users,
        alerts, me, schemas,
    ):  # fmt: skip
        app.include_router(module.router, responses=problems.PROBLEM_RESPONSES)

    app.openapi = _as_served(app.openapi, container.settings.currency)  # type: ignore[method-assign]

    @app.get("/health", tags=["service"])
    def health() -> dict:
        lag = container.follower.lag() if container.follower else {}
        return {"status": "ok", "position": container.app.last_position(), "projection_lag": lag}

    measured = ApiMetrics(container)
    app.add_middleware(Measured, metrics=measured)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        """Prometheus' text format, unauthenticated as scrapers expect: counts and timings by
        route, never a record's content."""
        return measured.answer()

    dashboard.install(app)

    return app


def report_slots(container: Container) -> int:
    """Reports a process answers at once. A report is Python work and, on SQLite, queries in
    the process too; several at once in one process only take turns on its one interpreter
    lock, and the SQLite driver gives it up and takes it back at every row, so under load
    each report took two to three times the CPU it takes alone. On PostgreSQL on another
    host a report's queries run there, and the process serves another report meanwhile; on
    this host they run on the same cores, and one at a time did better (2 cores, quarter
    size: the median live p99 29 ms, against 32–59 with two at once and 39–44 with four)."""
    slots = container.settings.report_slots
    if slots is not None:
        return slots
    url = container.settings.database_url
    return 4 if url and not _on_this_host(url) else 1


def _on_this_host(database_url: str) -> bool:
    """Whether the database is reached on this machine: a loopback address, localhost, or
    a Unix socket (no host in the URL)."""
    host = urlparse(database_url).hostname
    if host is None or host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:  # a host name: another machine, as far as the URL tells
        return False


def _as_served(document_of: Callable[[], dict], currency: str) -> Callable[[], dict]:
    """FastAPI's OpenAPI document, made to say what this deployment accepts; the change is made
    once, on the document FastAPI keeps."""

    def document() -> dict:
        made = document_of()
        _without_null_parameters(made)
        _in_the_deployments_currency(made, currency)
        return made

    return document


def _without_null_parameters(document: dict) -> None:
    """Each optional query or header parameter given as its type alone: FastAPI writes
    `str | None` as "string or null", but a parameter is either sent or not, and "null" sent
    as its text is no value (a generator took the document at its word)."""
    for operation in (op for path in document["paths"].values() for op in path.values()):
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            kinds = [k for k in schema.get("anyOf", []) if k != {"type": "null"}]
            if len(kinds) == 1 and len(schema["anyOf"]) == 2:
                rest = {k: v for k, v in schema.items() if k != "anyOf"}
                parameter["schema"] = {**kinds[0], **rest}


def _in_the_deployments_currency(document: dict, currency: str) -> None:
    """An opportunity's currency, when given, is the deployment's (SALESLEDGER_CURRENCY)."""
    properties = document["components"]["schemas"]["OpenOpportunity"]["properties"]
    properties["currency"] = {
        "anyOf": [{"type": "string", "enum": [currency]}, {"type": "null"}],
        "description": "the deployment's currency, if given",
    }


def _follow(container: Container, stop: threading.Event) -> None:
    assert container.follower is not None
    while not stop.wait(CATCH_UP_SECONDS):
        try:
            container.follower.catch_up()
        except Exception:  # noqa: BLE001 - keep following; the next round retries
            problems.log.exception("in-process projection catch-up failed")
