"""Many clients at once on one opportunity, over real HTTP, on PostgreSQL: for each version
exactly one command wins, the others get 409, and nothing is lost."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import httpx
import pytest

from api.users import Role
from store.log_reader import all_envelopes
from tests.servers import serving

CLIENTS = 12
ROUNDS = 4


@pytest.fixture
def server(production):
    with serving(production) as url:
        yield url


def test_concurrent_stage_moves_one_winner_per_version(server, production, clock):
    token = production.users.add("ryan", Role.REP, "east", clock.now())
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server, headers=headers, timeout=30) as client:
        deal = {"name": "D", "customer": "C", "amount": 1, "expected_close": "2027-01-01"}
        opp = client.post("/opportunities", json=deal).json()["id"]
    stages = ["needs", "proposal", "negotiation", "contact"]
    outcomes: Counter = Counter()
    for round_ in range(ROUNDS):
        version = round_ + 1
        with httpx.Client(base_url=server, headers=headers) as client:
            current = client.get(f"/opportunities/{opp}").json()["stage"]
        elsewhere = [s for s in stages if s != current]  # every client asks for a real move
        start = Barrier(CLIENTS)

        def move(
            n: int, version: int = version, elsewhere: list = elsewhere, start: Barrier = start
        ) -> int:
            with httpx.Client(base_url=server, headers=headers, timeout=30) as client:
                start.wait()
                response = client.post(
                    f"/opportunities/{opp}/stage",
                    json={"stage": elsewhere[n % len(elsewhere)]},
                    headers={"If-Match": f'"{version}"'},
                )
                return response.status_code

        with ThreadPoolExecutor(CLIENTS) as pool:
            codes = Counter(pool.map(move, range(CLIENTS)))
        assert codes[200] == 1, codes
        assert codes[200] + codes[409] == CLIENTS, codes
        outcomes.update(codes)
    history = [e for e in all_envelopes(production.app) if e["aggregate_id"] == opp]
    assert [e["aggregate_version"] for e in history] == list(range(1, ROUNDS + 2))
    assert outcomes[500] == 0
