"""`salesledger serve --workers 2`: several API processes, one store — on PostgreSQL and Kafka,
and embedded (SQLite, each process delivering the log to the read models in turn)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import httpx

from api.users import Role
from bench.common import free_port, listening
from tests.integration.conftest import ROOT, Process, wait_until

LEAD = {"source": "web", "company": "ACME", "contact": {"name": "Li Lei", "phone": "13800001234"}}


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


def test_two_embedded_api_workers_build_the_read_models_a_single_process_builds(tmp_path):
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items()
           if k not in ("SALESLEDGER_DATABASE_URL", "SALESLEDGER_KAFKA_BOOTSTRAP")}  # fmt: skip
    env["SALESLEDGER_DATA_DIR"] = str(data)

    def salesledger(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    token = salesledger("users", "add", "ryan", "--role", "rep", "--team", "east").stdout.strip()
    admin = {
        "Authorization": "Bearer "
        + salesledger("users", "add", "ada", "--role", "admin").stdout.strip()
    }
    port = free_port()
    server = Process(["serve", "--port", str(port), "--workers", "2"], env, tmp_path / "api.log")
    server.start()
    try:
        wait_until(lambda: listening(port), 60, "the API to listen")
        headers = {"Authorization": f"Bearer {token}"}
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            ids = [client.post("/leads", json=LEAD).json()["id"] for _ in range(30)]
            claims = [client.post(f"/leads/{lead_id}/claim") for lead_id in ids[:20]]
            assert [c.status_code for c in claims] == [200] * 20
            # whichever worker answers, it shows every command either worker took
            for _ in range(6):
                funnel = client.get("/reports/funnel", headers=admin).json()
                assert funnel["leads"]["captured"] == 30
                assert client.get("/pool").json()["total"] == 10
    finally:
        server.stop()
    verified = salesledger("verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
