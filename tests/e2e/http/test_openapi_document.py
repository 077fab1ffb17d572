"""The OpenAPI document lists the answers the API gives: every operation documents its 4xx
answers as application/problem+json, and the headers' limits (If-Match, Idempotency-Key)."""

from __future__ import annotations

import jsonschema
import pytest

pytestmark = pytest.mark.e2e


def test_every_operation_documents_its_problem_answers(api):
    spec = api.client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        if path == "/health":
            continue
        for method, operation in operations.items():
            answers = operation["responses"]
            for status in ("401", "403", "404", "409", "422"):
                assert status in answers, (method, path, status)
                assert "application/problem+json" in answers[status]["content"], (method, path)
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])


def test_command_headers_carry_their_limits(api):
    spec = api.client.get("/openapi.json").json()
    parameters = {p["name"]: p for p in spec["paths"]["/leads"]["post"]["parameters"]}
    key = parameters["idempotency-key"]["schema"]
    assert (key["type"], key["minLength"], key["maxLength"]) == ("string", 1, 200)
    assert "pattern" in parameters["if-match"]["schema"]


def test_an_optional_parameter_is_its_type_not_string_or_null(api):
    """A parameter is sent or not: the document gives no "null" to send (schemathesis sent the
    text "null" as If-Match, taking "string or null" at its word)."""
    spec = api.client.get("/openapi.json").json()
    for path in spec["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                assert {"type": "null"} not in parameter["schema"].get("anyOf", []), parameter
    kind = next(p for p in spec["paths"]["/alerts"]["get"]["parameters"] if p["name"] == "kind")
    assert "sla_breach" in kind["schema"]["pattern"]


def _field(spec: dict, schema: str, field: str) -> dict:
    return spec["components"]["schemas"][schema]["properties"][field]


def _parameter(spec: dict, path: str, name: str) -> dict:
    parameters = spec["paths"][path]["get"]["parameters"]
    return next(p["schema"] for p in parameters if p["name"] == name)


def _document_says(schema: dict, value: object) -> bool:
    return jsonschema.Draft202012Validator(schema).is_valid(value)


LEAD = {"source": "web", "company": "ACME", "contact": {"name": "Li Lei"}}


@pytest.mark.parametrize("company", ["ACME", "  ACME ", " \u3000 ", "AC\x00ME", "x" * 201])
def test_the_documents_text_rules_are_the_servers(api, company):
    spec = api.client.get("/openapi.json").json()
    answer = api.as_("ryan").post("/leads", {**LEAD, "company": company})
    assert _document_says(_field(spec, "CaptureLead", "company"), company) == (
        answer.status_code == 201
    ), answer.text


@pytest.mark.parametrize("budget", [12, 12.0, 12.34, "12.34", "-0", "12.345", " 12", 10**13, -1])
def test_the_documents_money_rules_are_the_servers(api, budget):
    spec = api.client.get("/openapi.json").json()
    answer = api.as_("ryan").post("/leads", {**LEAD, "budget": budget})
    assert _document_says(_field(spec, "CaptureLead", "budget"), budget) == (
        answer.status_code == 201
    ), answer.text


@pytest.mark.parametrize("moment", [
    "1970-01-01T00:30:00+01:00", "2199-12-31T23:00:00-05:00", "1969-12-31T23:30:00-01:00",
    "2200-01-01T00:00:00Z", "0999-06-01T00:00:00Z",
])  # fmt: skip
def test_the_documents_time_range_is_the_servers(api, moment):
    spec = api.client.get("/openapi.json").json()
    answer = api.as_("ada").get("/reports/funnel", as_of=moment)
    assert _document_says(_parameter(spec, "/reports/funnel", "as_of"), moment) == (
        answer.status_code == 200
    ), answer.text


@pytest.mark.parametrize("week", ["2026-W01", "2026-W00", "2026-W54", "2026-1", "1969-W10"])
def test_the_documents_week_is_the_servers(api, week):
    spec = api.client.get("/openapi.json").json()
    answer = api.as_("ada").get("/reports/rep-activity", week=week)
    assert _document_says(_parameter(spec, "/reports/rep-activity", "week"), week) == (
        answer.status_code == 200
    ), answer.text


def test_the_document_offers_only_the_deployments_currency(api, container):
    spec = api.client.get("/openapi.json").json()
    currency = _field(spec, "OpenOpportunity", "currency")
    assert _document_says(currency, container.settings.currency)
    assert not _document_says(currency, "XYZ")
