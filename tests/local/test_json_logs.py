"""SALESLEDGER_LOG_FORMAT=json: every line on stderr is one JSON object — the API's, uvicorn's,
a consumer's (its fields at the top level, so read model, partition, offset and lag can be
queried) — for a log collector to take as it is."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from consumers.logs import JsonLines, log_event
from tests.servers import free_port

pytestmark = pytest.mark.local


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_consumers_event_is_one_object_with_its_fields_at_the_top():
    logger, kept = logging.getLogger("test-json-lines"), Kept()
    logger.addHandler(kept)
    logger.setLevel(logging.INFO)
    log_event(logger, "batch_applied", read_model="ledger", partition=3, offset=42, lag=0)
    log_event(logger, "caught_up", read_model="ledger")
    logger.info("plain text, %d%%", 100)
    event, _, plain = (json.loads(JsonLines().format(r)) for r in kept.records)
    assert event["event"] == "batch_applied" and event["level"] == "info"
    assert event | {"read_model": "ledger", "partition": 3, "offset": 42, "lag": 0} == event
    assert plain["message"] == "plain text, 100%" and plain["logger"] == "test-json-lines"


def test_the_service_writes_json_lines_when_asked(tmp_path: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESLEDGER_")}
    env |= {"SALESLEDGER_DATA_DIR": str(tmp_path), "SALESLEDGER_LOG_FORMAT": "json"}
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):  # until it listens (a poll, not a timed assertion)
            try:
                httpx.get(f"http://127.0.0.1:{port}/health")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger"} <= set(line) for line in lines)
    assert any(
        line["logger"] == "uvicorn.access" and "/health" in line["message"] for line in lines
    )
