"""Concurrent commands on one opportunity, on the embedded SQLite store: one wins per version."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from threading import Barrier

import pytest

from domain.context import CommandContext
from domain.errors import NotAllowedNow
from store.log_reader import all_envelopes

pytestmark = pytest.mark.e2e
WRITERS = 8


def test_concurrent_moves_on_one_version_let_exactly_one_win(container, clock):
    app = container.app
    opp = app.open_opportunity(
        CommandContext("ryan", clock.now()),
        name="Contested",
        customer="C",
        amount=Decimal(1),
        expected_close=date(2027, 1, 1),
    ).id
    stages = ["needs", "proposal", "negotiation", "needs", "proposal", "negotiation", "needs",
              "proposal"]  # fmt: skip
    start = Barrier(WRITERS)

    def move(stage: str) -> str:
        start.wait()
        try:
            app.move_opportunity(
                CommandContext("ryan", clock.now()), opp, stage=stage, expected_version=1
            )
            return "won"
        except NotAllowedNow:
            return "conflict"

    with ThreadPoolExecutor(WRITERS) as pool:
        outcomes = list(pool.map(move, stages))
    assert outcomes.count("won") == 1
    assert outcomes.count("conflict") == WRITERS - 1
    assert app.get_opportunity(opp).version == 2
    events = [e for e in all_envelopes(app) if e["aggregate_id"] == str(opp)]
    assert [e["aggregate_version"] for e in events] == [1, 2]
