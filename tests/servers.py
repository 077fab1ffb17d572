"""Serving over real HTTP on loopback in a test: a free port, the API by uvicorn in a thread, and
reading a sample off a Prometheus endpoint."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(container) -> Iterator[str]:
    """The container's API on http://127.0.0.1:<port> until the block ends; yields the URL."""
    port = free_port()
    config = uvicorn.Config(create_app(container), host="127.0.0.1", port=port, log_level="error")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        thread.join(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(10)


def sample(port: int, name: str, **labels: str) -> float | None:
    """The value of the first sample named `name` (with those labels) that
    http://127.0.0.1:port/metrics serves; None when there is none or nothing listens yet."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    except httpx.TransportError:
        return None  # not listening yet
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and labels.items() <= found.labels.items():
                return found.value
    return None
