"""Money below the documented bound (10^13, cents) reads back exactly: in the state, in the
history, and in the envelope Kafka carries. A property over random amounts. (A report's sums
of many such amounts can pass 15 significant digits, where a JSON number read as a double loses
cents: see the README's note on money.)"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store.log_reader import all_envelopes

pytestmark = pytest.mark.e2e
AMOUNTS = st.decimals(min_value=0, max_value=Decimal("9999999999999.99"), places=2)
LEAD = {"source": "web", "company": "ACME", "contact": {"name": "Li Lei"}}


def exact(value) -> Decimal:
    """A JSON number (or CSV text) as the decimal it spells."""
    return Decimal(str(value))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(budget=AMOUNTS, amount=AMOUNTS)
def test_an_amount_reads_back_exactly_everywhere(api, container, budget, amount):
    rep = api.as_("ryan")
    lead = rep.post("/leads", {**LEAD, "budget": float(budget)}).json()["id"]
    rep.post(f"/leads/{lead}/claim")
    assert exact(rep.get(f"/leads/{lead}").json()["budget"]) == budget
    conversion = {"name": "D", "amount": float(amount), "expected_close": "2027-01-01"}
    deal = rep.post(f"/leads/{lead}/convert", conversion).json()["opportunity_id"]
    assert exact(rep.get(f"/opportunities/{deal}").json()["amount"]) == amount
    opened = rep.get(f"/opportunities/{deal}/history").json()["events"][0]
    assert exact(opened["data"]["amount"]) == amount
    published = [container.publish(e) for e in all_envelopes(container.app)
                 if e["aggregate_id"] == deal and e["type"] == "OpportunityOpened"]  # fmt: skip
    assert exact(published[0]["data"]["amount"]) == amount  # as Kafka carries it
