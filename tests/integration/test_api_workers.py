"""`salesledger serve --workers 2` on PostgreSQL and Kafka: several API processes, one store."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from api.users import Role
from bench.common import free_port, listening
from tests.integration.conftest import wait_until


def test_two_api_workers_serve_commands_on_one_store(production, processes):
    token = production.users.add("ryan", Role.REP, "east", datetime.now(UTC))
    port = free_port()
    processes(["serve", "--port", str(port), "--workers", "2"]).start()
    wait_until(lambda: listening(port), 60, "the API to listen")
    lead = {
        "source": "web",
        "company": "ACME",
        "contact": {"name": "Li Lei", "phone": "13800001234"},
    }
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        ids = [client.post("/leads", json=lead).json()["id"] for _ in range(20)]
        # each worker has its own aggregate cache: claims land on either, and all hold
        claims = [client.post(f"/leads/{lead_id}/claim") for lead_id in ids]
        assert [c.status_code for c in claims] == [200] * 20
        assert {client.get(f"/leads/{lead_id}").json()["holder"] for lead_id in ids} == {"ryan"}
