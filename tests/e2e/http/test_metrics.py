"""GET /metrics: Prometheus' text format — requests by route template and status with their
latency, commands by outcome, the store's position and the read models' lag."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.e2e
LEAD = {"source": "web", "company": "ACME", "contact": {"name": "Li Lei"}}


def scraped(api) -> dict[tuple[str, tuple], float]:
    answer = api.client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def test_requests_and_commands_are_counted_by_route_and_outcome(api):
    ryan = api.as_("ryan")
    lead = ryan.post("/leads", LEAD, **{"Idempotency-Key": "one"}).json()["id"]
    ryan.post("/leads", LEAD, **{"Idempotency-Key": "one"})  # a retry: replayed
    ryan.post(f"/leads/{lead}/claim")
    assert api.as_("rita").post(f"/leads/{lead}/claim").status_code == 409
    ryan.get(f"/leads/{lead}")
    metrics = scraped(api)
    command = "salesledger_commands_total"
    assert metrics[(command, (("command", "POST /leads"), ("outcome", "done")))] == 1
    assert metrics[(command, (("command", "POST /leads"), ("outcome", "replayed")))] == 1
    claim = "POST /leads/{lead_id}/claim"
    assert metrics[(command, (("command", claim), ("outcome", "conflict")))] == 1
    request = ("salesledger_http_requests_total",
               (("method", "GET"), ("route", "/leads/{lead_id}"), ("status", "200")))  # fmt: skip
    assert metrics[request] == 1  # by the route's template, not the lead's id
    latency = ("salesledger_http_request_duration_seconds_count",
               (("method", "POST"), ("route", "/leads")))  # fmt: skip
    assert metrics[latency] == 2
    assert metrics[("salesledger_store_position", ())] >= 3
    assert metrics[("salesledger_projection_lag", (("read_model", "ledger"),))] == 0


def test_an_unknown_path_is_one_series_not_one_each(api):
    for n in range(3):
        api.client.get(f"/no-such-thing-{n}")
    metrics = scraped(api)
    unmatched = [k for k in metrics if k[0] == "salesledger_http_requests_total"
                 and ("route", "unmatched") in k[1]]  # fmt: skip
    assert len(unmatched) == 1 and metrics[unmatched[0]] == 3
    assert "/metrics" not in api.client.get("/openapi.json").json()["paths"]
