"""Chaos: reps work through HTTP with Idempotency-Keys while the API, the relay and each of two
projector processes are killed with -9 and started again, at random, for about a minute.

Afterwards: no answer was a 5xx; every command's key got its answer (a key the dead API left
claimed is resolved on retry); every acknowledged command is in the store; no key took effect
twice; and `salesledger verify` finds the read models equal to a rebuild.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime

import httpx

from api.cli.read_models import behind_store
from api.users import Role
from bench.common import free_port, listening
from store.log_reader import all_envelopes
from tests.integration.conftest import wait_until

REPS = 4
LOAD_SECONDS = 45
KILLS_EVERY = (1.5, 3.5)  # seconds between two kills, at random within
COMMAND_DEADLINE = 60  # seconds one command may take, retries included, before the test fails
IDEMPOTENCY_TIMEOUT = "2"
LEAD = {"source": "web", "contact": {"name": "Li Lei", "phone": "13800001234"}}
DEAL = {"name": "Deal", "amount": 1000, "expected_close": "2027-01-15"}


class Rep:
    """One rep's client: every command is sent with its own key and retried until answered."""

    def __init__(self, name: str, token: str, port: int) -> None:
        self.name = name
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        self.answers: dict[str, tuple[int, dict]] = {}
        self.server_errors: list[tuple[str, int, str]] = []
        self.retries = Counter()

    def command(self, key: str, path: str, body: dict | None, expected: int) -> dict:
        deadline = time.monotonic() + COMMAND_DEADLINE
        while time.monotonic() < deadline:
            try:
                response = self.client.post(path, json=body, headers={"Idempotency-Key": key})
            except httpx.TransportError:  # the API was killed, or is starting again
                self.retries["connection"] += 1
                time.sleep(0.2)
                continue
            if response.status_code >= 500:
                self.server_errors.append((key, response.status_code, response.text))
                time.sleep(0.2)
                continue
            if response.status_code == 409 and "still running" in response.text:
                self.retries["still running"] += 1  # a key left claimed by a killed API
                time.sleep(0.3)
                continue
            assert response.status_code == expected, (key, response.status_code, response.text)
            self.answers[key] = (response.status_code, response.json())
            return response.json()
        raise AssertionError(f"{key} got no answer in {COMMAND_DEADLINE} s")

    def work(self, stop: threading.Event) -> None:
        n = 0
        while not stop.is_set():
            key = f"{self.name}-{n}"
            lead = self.command(f"{key}-capture", "/leads", {**LEAD, "company": key}, 201)["id"]
            self.command(f"{key}-claim", f"/leads/{lead}/claim", None, 200)
            if n % 3 == 0:
                self.command(f"{key}-convert", f"/leads/{lead}/convert", DEAL, 201)
            n += 1


def test_nothing_acknowledged_is_lost_or_applied_twice_under_kill_9(production, processes):
    port = free_port()
    tokens = {
        f"chaos{n}": production.users.add(f"chaos{n}", Role.REP, "east", datetime.now(UTC))
        for n in range(REPS)
    }
    api = processes(["serve", "--port", str(port)])
    api.env = {**api.env, "SALESLEDGER_IDEMPOTENCY_TIMEOUT": IDEMPOTENCY_TIMEOUT}
    api.env["SALESLEDGER_CLAIM_LIMIT"] = "100000"
    workers = {
        "api": api,
        "relay": processes(["relay"]),
        "projector 1": processes(["project"]),
        "projector 2": processes(["project"]),
    }
    for process in workers.values():
        process.env = {**process.env, **api.env}
        process.start()
    wait_until(lambda: listening(port), 60, "the API to listen")

    reps = [Rep(name, token, port) for name, token in tokens.items()]
    stop = threading.Event()
    failures: list[BaseException] = []

    def work(rep: Rep) -> None:
        try:
            rep.work(stop)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
            stop.set()

    threads = [threading.Thread(target=work, args=(rep,)) for rep in reps]
    for thread in threads:
        thread.start()
    kills: Counter = Counter()
    chaos = random.Random(16)
    victims: list[str] = []
    ends = time.monotonic() + LOAD_SECONDS
    while time.monotonic() < ends and not stop.is_set():
        time.sleep(chaos.uniform(*KILLS_EVERY))
        if not victims:  # rounds in random order: each process is killed as often as another
            victims = chaos.sample(sorted(workers), len(workers))
        name = victims.pop()
        workers[name].kill_9()
        kills[name] += 1
        workers[name].start()
        if name == "api":
            wait_until(lambda: listening(port), 60, "the API to listen again")
    stop.set()
    for thread in threads:
        thread.join(timeout=COMMAND_DEADLINE + 30)
    assert not failures, failures[0]

    assert [e for rep in reps for e in rep.server_errors] == []
    assert set(kills) == set(workers), f"every process was killed at least once: {kills}"
    answers = {key: answer for rep in reps for key, answer in rep.answers.items()}
    assert len(answers) > 50, "the load must have done some work"
    retries = sum((rep.retries for rep in reps), Counter())
    print(f"chaos: {len(answers)} commands answered, kills {dict(kills)}, retries {dict(retries)}")

    envelopes = list(all_envelopes(production.app))
    by_key: dict[str, list[dict]] = defaultdict(list)
    for envelope in envelopes:
        by_key[envelope["correlation_id"]].append(envelope)
    for key, (status, body) in answers.items():
        stored = by_key.get(key)
        assert stored, f"{key} was acknowledged ({status}) but is not in the store"
        versions = {(e["aggregate_id"], e["aggregate_version"]) for e in stored}
        assert (body["id"], body["version"]) in versions, f"{key}: answer {body} not stored"
        effects = Counter((e["aggregate_id"], e["type"]) for e in stored)
        assert max(effects.values()) == 1, f"{key} took effect twice: {effects}"
    assert set(by_key) <= set(answers), "a command took effect whose key never got an answer"

    wait_until(lambda: behind_store(production, production.projections) == "", 120, "catch-up")
    for process in workers.values():
        process.stop()
    verify = processes(["verify"]).start()
    assert verify.proc.wait(timeout=300) == 0, verify.log.read_text()[-2000:]
