"""PostgreSQL restarted under HTTP load: while it is down the API answers 503 with
Retry-After, never 500; it recovers by itself; every lead it acknowledged is in the store."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.users import Role
from store.log_reader import all_envelopes
from tests.integration.conftest import ROOT, wait_until

SERVICES = ROOT / "scripts" / "services.sh"
OWN_POSTGRES = Path("/usr/lib/postgresql").exists()


def services(command: str) -> None:
    subprocess.run([str(SERVICES), command], check=True, cwd=ROOT, capture_output=True)


@pytest.mark.skipif(not OWN_POSTGRES, reason="PostgreSQL was not installed by this project")
def test_a_database_restart_under_load_is_503_then_recovers(production, clock):
    token = production.users.add("ryan", Role.REP, "east", clock.now())
    headers = {"Authorization": f"Bearer {token}"}
    answers: list[tuple[int, str | None, str | None]] = []
    stop = threading.Event()

    def load(client: TestClient) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            lead = {"source": "web", "company": f"Load {n}", "contact": {"name": "L"}}
            response = client.post("/leads", json=lead, headers=headers)
            body_id = response.json().get("id") if response.status_code == 201 else None
            answers.append((response.status_code, response.headers.get("retry-after"), body_id))

    with TestClient(create_app(production), raise_server_exceptions=False) as client:
        worker = threading.Thread(target=load, args=(client,))
        worker.start()
        try:
            wait_until(lambda: len(answers) >= 20, 60, "the load to start")
            services("postgres-down")
            wait_until(lambda: any(a[0] == 503 for a in answers), 90, "a 503 while it is down")
            services("postgres-up")
            restarted = len(answers)
            wait_until(
                lambda: any(a[0] == 201 for a in answers[restarted:]), 90, "the API to recover"
            )
        finally:
            stop.set()
            worker.join(timeout=60)
            services("postgres-up")  # whatever happened, the next tests need it
    statuses = {status for status, _, _ in answers}
    assert statuses <= {201, 503}, statuses
    assert all(retry == "2" for status, retry, _ in answers if status == 503)
    acknowledged = {lead for status, _, lead in answers if status == 201}
    stored = {
        e["aggregate_id"] for e in all_envelopes(production.app) if e["type"] == "LeadCaptured"
    }
    assert acknowledged <= stored
