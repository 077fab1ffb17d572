"""`salesledger serve` in the embedded mode runs the scheduler in its own process (so
`make run` has it): a lead overdue when the service starts is back in the pool after its
first pass, and `SALESLEDGER_SCHEDULER_INTERVAL=0` switches it off."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.builders import capture

pytestmark = pytest.mark.e2e


def scheduler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "salesledger-scheduler"]


def test_the_service_returns_an_overdue_lead_on_its_first_pass(container, tokens, clock, ryan):
    lead = capture(container.app, ryan())
    container.app.claim_lead(ryan(), lead)
    clock.advance(days=8)
    with TestClient(create_app(container, follow_in_background=True)):
        assert len(scheduler_threads()) == 1
        deadline = time.monotonic() + 30  # bounds a hung test; the first pass runs at start
        while container.app.get_lead(lead).holder is not None:
            assert time.monotonic() < deadline, "the scheduler's first pass did not return it"
            threading.Event().wait(0.005)
    assert scheduler_threads() == []


def test_an_interval_of_zero_runs_no_scheduler(container, tokens):
    container.settings = container.settings.model_copy(update={"scheduler_interval": 0})
    with TestClient(create_app(container, follow_in_background=True)):
        assert scheduler_threads() == []
