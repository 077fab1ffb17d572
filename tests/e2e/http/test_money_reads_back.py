"""Money below the documented bound (10^13, cents) reads back exactly: in the state, in the
history, and in the envelope Kafka carries. A property over random amounts. A report's sums of
many such amounts pass 15 significant digits, which a binary float cannot hold: the answers
write them digit for digit, in JSON and in CSV."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store.log_reader import all_envelopes

pytestmark = pytest.mark.e2e
AMOUNTS = st.decimals(min_value=0, max_value=Decimal("9999999999999.99"), places=2)
LARGE = st.decimals(
    min_value=Decimal("1000000000000.01"), max_value=Decimal("9999999999999.99"), places=2
)
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


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(amounts=st.lists(LARGE, min_size=12, max_size=16))  # sums above 2^46 cents/100
def test_a_sum_beyond_fifteen_digits_reads_back_exactly_in_json_and_csv(api, amounts):
    rep = api.as_("ryan")
    before = _funnel_amount(rep)
    for amount in amounts:
        deal = {"name": "D", "customer": "C", "amount": str(amount), "expected_close": "2027-01-01"}
        assert rep.post("/opportunities", deal).status_code == 201
    expected = before + sum(amounts)
    assert _funnel_amount(rep) == expected
    forecast = json.loads(rep.get("/reports/forecast").text, parse_float=Decimal)
    january = [m for m in forecast["months"] if m["month"] == "2027-01"]
    assert Decimal(january[0]["best_case"]) == expected
    csv = rep.client.get("/reports/forecast", headers={**rep.headers, "Accept": "text/csv"})
    header, *lines = csv.text.splitlines()
    columns = header.split(",")
    cells = [dict(zip(columns, line.split(","), strict=True)) for line in lines]
    assert [Decimal(c["best_case"]) for c in cells if c["month"] == "2027-01"][0] == expected


def _funnel_amount(rep) -> Decimal:
    """The funnel's open amount over its stages, parsed from the raw JSON as a decimal."""
    body = json.loads(rep.get("/reports/funnel").text, parse_float=Decimal)
    return sum((Decimal(s["amount"]) for s in body["stages"]), Decimal(0))
