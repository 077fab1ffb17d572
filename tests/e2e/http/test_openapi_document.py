"""The OpenAPI document lists the answers the API gives: every operation documents its 4xx
answers as application/problem+json, and the headers' limits (If-Match, Idempotency-Key)."""

from __future__ import annotations

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
