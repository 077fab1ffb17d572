"""The HTTP contract's edges: bad input, auth, access, If-Match, Idempotency-Key, as-of reads."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

pytestmark = pytest.mark.e2e

LEAD = {"source": "web", "company": "ACME", "contact": {"name": "Li Lei", "phone": "13800001234"}}


def problem_fields(response) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == response.status_code
    return [e["field"] for e in body.get("errors", [])]


@pytest.fixture
def lead(api) -> str:
    lead_id = api.as_("ryan").post("/leads", LEAD).json()["id"]
    assert api.as_("ryan").post(f"/leads/{lead_id}/claim").status_code == 200
    return lead_id


@pytest.fixture
def opportunity(api) -> str:
    body = {"name": "Deal", "customer": "ACME", "amount": 1000, "expected_close": "2027-01-31"}
    return api.as_("ryan").post("/opportunities", body).json()["id"]


# --- authentication ---


def test_a_request_without_a_token_is_401(api):
    response = api.client.post("/leads", json=LEAD)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert problem_fields(response) == ["Authorization"]


def test_a_wrong_token_is_401(api):
    response = api.client.get("/pool", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert "not valid" in response.json()["detail"]


# --- bad input ---


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"company": "ACME", "contact": {"name": "x"}}, "source"),
        ({**LEAD, "company": 5}, "company"),
        ({**LEAD, "company": "x" * 201}, "company"),
        ({**LEAD, "contact": {"name": ""}}, "contact.name"),
        ({**LEAD, "contact": {"name": "x", "email": "not-an-email"}}, "contact.email"),
        ({**LEAD, "budget": -1}, "budget"),
        ({**LEAD, "budget": "lots"}, "budget"),
        ({**LEAD, "nickname": "x"}, "nickname"),
    ],
)
def test_invalid_lead_is_422_naming_the_field(api, body, field):
    response = api.as_("ryan").post("/leads", body)
    assert response.status_code == 422
    assert field in problem_fields(response)


def test_a_body_that_is_not_json_is_422(api):
    response = api.client.post(
        "/leads",
        content=b"{not json",
        headers={**api.as_("ryan").headers, "content-type": "application/json"},
    )
    assert response.status_code == 422


def test_a_huge_string_is_refused_not_stored(api, lead):
    response = api.as_("ryan").post(
        f"/leads/{lead}/follow-ups", {"method": "call", "summary": "x" * 1_000_000}
    )
    assert response.status_code == 422
    assert problem_fields(response) == ["summary"]
    assert api.as_("ryan").get(f"/leads/{lead}").json()["follow_up_count"] == 0


def test_unknown_follow_up_method_is_422(api, lead):
    response = api.as_("ryan").post(f"/leads/{lead}/follow-ups", {"method": "fax", "summary": "x"})
    assert response.status_code == 422
    assert problem_fields(response) == ["method"]


def test_follow_up_time_without_offset_is_422(api, lead):
    response = api.as_("ryan").post(
        f"/leads/{lead}/follow-ups",
        {"method": "call", "summary": "x", "next_follow_up_at": "2027-01-01T10:00:00"},
    )
    assert response.status_code == 422
    assert problem_fields(response) == ["next_follow_up_at"]


def test_unknown_stage_is_422_with_the_known_stages(api, opportunity):
    response = api.as_("ryan").post(f"/opportunities/{opportunity}/stage", {"stage": "dreaming"})
    assert response.status_code == 422
    assert problem_fields(response) == ["stage"]
    assert "contact, needs, proposal, negotiation" in response.json()["detail"]


def test_negative_amount_is_422(api, opportunity):
    response = api.as_("ryan").post(f"/opportunities/{opportunity}/amount", {"amount": -5})
    assert response.status_code == 422
    assert problem_fields(response) == ["amount"]


def test_another_currency_is_422(api):
    body = {"name": "D", "customer": "C", "amount": 1, "expected_close": "2027-01-01",
            "currency": "USD"}  # fmt: skip
    response = api.as_("ryan").post("/opportunities", body)
    assert response.status_code == 422
    assert problem_fields(response) == ["currency"]


def test_malformed_and_unknown_ids(api):
    assert api.as_("ryan").get("/leads/not-a-uuid").status_code == 422
    missing = api.as_("ada").get(f"/leads/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert api.as_("ryan").post(f"/opportunities/{uuid.uuid4()}/win", {}).status_code == 404


def test_bad_report_parameters_are_422(api):
    assert api.as_("ada").get("/reports/rep-activity", week="2026-W60").status_code == 422
    assert api.as_("ada").get("/reports/funnel", as_of="yesterday").status_code == 422
    response = api.as_("ada").get("/reports/funnel", as_of="2026-11-20T10:00:00")
    assert response.status_code == 422
    assert problem_fields(response) == ["as_of"]


# --- business rules over HTTP ---


def test_rule_violations_are_409_with_a_readable_message(api, lead):
    response = api.as_("rita").post(f"/leads/{lead}/claim")
    assert response.status_code == 409
    assert response.json()["detail"] == "lead is already held by ryan"


def test_claim_limit_is_409(api):
    for _ in range(3):
        lead_id = api.as_("rita").post("/leads", LEAD).json()["id"]
        assert api.as_("rita").post(f"/leads/{lead_id}/claim").status_code == 200
    extra = api.as_("rita").post("/leads", LEAD).json()["id"]
    response = api.as_("rita").post(f"/leads/{extra}/claim")
    assert response.status_code == 409
    assert "limit is 3" in response.json()["detail"]


def test_closed_opportunity_refuses_a_stage_change(api, opportunity):
    api.as_("ryan").post(f"/opportunities/{opportunity}/win", {})
    response = api.as_("ryan").post(f"/opportunities/{opportunity}/stage", {"stage": "needs"})
    assert response.status_code == 409


# --- access ---


def test_a_rep_cannot_work_another_reps_lead(api, lead):
    response = api.as_("rita").post(f"/leads/{lead}/follow-ups", {"method": "call", "summary": "x"})
    assert response.status_code == 403
    assert api.as_("rita").get(f"/leads/{lead}").status_code == 403


def test_the_holder_and_their_manager_see_contact_details_others_do_not(api, lead):
    assert api.as_("ryan").get(f"/leads/{lead}").json()["contact"]["phone"] == "13800001234"
    assert api.as_("maria").get(f"/leads/{lead}").json()["contact"]["phone"] == "13800001234"
    assert api.as_("wes").get(f"/leads/{lead}").status_code == 403


def test_pool_leads_are_readable_by_anyone_but_masked(api):
    lead_id = api.as_("ryan").post("/leads", LEAD).json()["id"]
    body = api.as_("rita").get(f"/leads/{lead_id}").json()
    assert body["contact"]["phone"] == "***1234"
    assert body["contact_masked"] is True


def test_the_pool_is_read_a_page_at_a_time_longest_waiting_first(api, clock):
    captured = []
    for n in range(5):
        captured.append(api.as_("ryan").post("/leads", {**LEAD, "company": f"C{n}"}).json()["id"])
        clock.advance(minutes=1)
    first = api.as_("rita").get("/pool", limit=2).json()
    assert [lead["id"] for lead in first["leads"]] == captured[:2]
    assert (first["total"], first["next_offset"]) == (5, 2)
    last = api.as_("rita").get("/pool", limit=2, offset=4).json()
    assert [lead["id"] for lead in last["leads"]] == captured[4:]
    assert last["next_offset"] is None
    assert api.as_("rita").get("/pool").json()["total"] == 5  # 100 a page unless asked
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}):
        response = api.as_("rita").get("/pool", **bad)
        assert response.status_code == 422 and problem_fields(response) == list(bad)


def test_only_managers_assign_and_only_within_their_team(api):
    lead_id = api.as_("ryan").post("/leads", LEAD).json()["id"]
    assert api.as_("ryan").post(f"/leads/{lead_id}/assign", {"rep": "rita"}).status_code == 403
    assert api.as_("maria").post(f"/leads/{lead_id}/assign", {"rep": "will"}).status_code == 403
    unknown = api.as_("maria").post(f"/leads/{lead_id}/assign", {"rep": "nobody"})
    assert unknown.status_code == 422
    assert problem_fields(unknown) == ["rep"]
    assert api.as_("maria").post(f"/leads/{lead_id}/assign", {"rep": "rita"}).status_code == 200


def test_only_an_admin_defines_pipelines(api):
    stages = {"stages": [{"key": "demo", "name": "Demo", "probability": 0.3}]}
    assert api.as_("maria").put("/pipelines/hardware", stages).status_code == 403
    assert api.as_("ada").put("/pipelines/hardware", stages).status_code == 200
    pipeline = api.as_("ryan").get("/pipelines/hardware").json()
    assert [s["key"] for s in pipeline["stages"]] == ["demo"]


# --- If-Match and Idempotency-Key ---


def test_if_match_with_a_stale_version_is_409_and_changes_nothing(api, opportunity):
    read = api.as_("ryan").get(f"/opportunities/{opportunity}")
    assert read.headers["etag"] == '"1"'
    api.as_("ryan").post(
        f"/opportunities/{opportunity}/stage", {"stage": "needs"}, **{"If-Match": '"1"'}
    )
    stale = api.as_("ryan").post(
        f"/opportunities/{opportunity}/stage", {"stage": "proposal"}, **{"If-Match": '"1"'}
    )
    assert stale.status_code == 409
    assert problem_fields(stale) == ["If-Match"]
    assert api.as_("ryan").get(f"/opportunities/{opportunity}").json()["stage"] == "needs"


def test_if_match_that_is_not_a_version_is_422(api, opportunity):
    response = api.as_("ryan").post(
        f"/opportunities/{opportunity}/stage", {"stage": "needs"}, **{"If-Match": "banana"}
    )
    assert response.status_code == 422
    assert problem_fields(response) == ["If-Match"]


def test_a_retried_command_with_the_same_idempotency_key_acts_once(api):
    first = api.as_("ryan").post("/leads", LEAD, **{"Idempotency-Key": "k-1"})
    again = api.as_("ryan").post("/leads", LEAD, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    funnel = api.as_("ada").get("/reports/funnel").json()
    assert funnel["leads"]["captured"] == 1


def test_reusing_an_idempotency_key_for_another_request_is_422(api):
    api.as_("ryan").post("/leads", LEAD, **{"Idempotency-Key": "k-2"})
    response = api.as_("ryan").post(
        "/leads", {**LEAD, "company": "Other"}, **{"Idempotency-Key": "k-2"}
    )
    assert response.status_code == 422
    assert problem_fields(response) == ["Idempotency-Key"]


def test_idempotency_keys_are_per_user(api):
    ryan = api.as_("ryan").post("/leads", LEAD, **{"Idempotency-Key": "same"})
    rita = api.as_("rita").post("/leads", LEAD, **{"Idempotency-Key": "same"})
    assert ryan.json()["id"] != rita.json()["id"]


# --- state as of a moment ---


def test_lead_state_at_a_version_and_as_of_a_time(api, clock):
    lead_id = api.as_("ryan").post("/leads", LEAD).json()["id"]
    captured_at = clock.now()
    clock.advance(hours=2)
    api.as_("ryan").post(f"/leads/{lead_id}/claim")
    assert api.as_("ryan").get(f"/leads/{lead_id}", version=1).json()["holder"] is None
    at_capture = api.as_("ryan").get(f"/leads/{lead_id}", as_of=captured_at.isoformat())
    assert at_capture.json()["holder"] is None
    assert at_capture.headers["etag"] == '"1"'
    before = api.as_("ryan").get(
        f"/leads/{lead_id}", as_of=(captured_at - timedelta(days=1)).isoformat()
    )
    assert before.status_code == 404


def test_openapi_document_is_served(api):
    spec = api.client.get("/openapi.json").json()
    assert "/leads/{lead_id}/claim" in spec["paths"]
    assert api.client.get("/docs").status_code == 200


def test_event_schemas_are_served(api):
    catalog = api.client.get("/schemas/events").json()
    assert catalog["schema_version"] == 1
    assert "OpportunityStageChanged" in catalog["events"]
    one = api.client.get("/schemas/events/LeadCaptured").json()
    assert one["properties"]["type"]["const"] == "LeadCaptured"
    missing = api.client.get("/schemas/events/LeadTeleported")
    assert missing.status_code == 404


def test_a_failed_command_does_not_consume_its_idempotency_key(api, lead):
    first = api.as_("rita").post(f"/leads/{lead}/claim", **{"Idempotency-Key": "k-fail"})
    assert first.status_code == 409
    api.as_("ryan").post(f"/leads/{lead}/release", {"reason": "over to rita"})
    retry = api.as_("rita").post(f"/leads/{lead}/claim", **{"Idempotency-Key": "k-fail"})
    assert retry.status_code == 200
    assert "idempotent-replayed" not in retry.headers


def test_simultaneous_retries_with_one_key_act_once(api):
    from concurrent.futures import ThreadPoolExecutor

    def send(_: int) -> int:
        return api.as_("ryan").post("/leads", LEAD, **{"Idempotency-Key": "burst"}).status_code

    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(send, range(6)))
    assert set(codes) <= {201, 409}
    assert codes.count(201) >= 1
    assert api.as_("ada").get("/reports/funnel").json()["leads"]["captured"] == 1


# --- history ---


def test_history_lists_every_event_with_who_when_and_what(api, lead, clock):
    api.as_("ryan").post(f"/leads/{lead}/follow-ups", {"method": "call", "summary": "hi"})
    body = api.as_("ryan").get(f"/leads/{lead}/history").json()
    assert body["total"] == 3
    assert [(e["version"], e["type"], e["actor"]) for e in body["events"]] == [
        (1, "LeadCaptured", "ryan"),
        (2, "LeadClaimed", "ryan"),
        (3, "LeadFollowedUp", "ryan"),
    ]
    assert body["events"][0]["occurred_at"] == clock.now().isoformat()
    assert all(e["correlation_id"] for e in body["events"])
    assert body["events"][0]["data"]["contact"]["phone"] == "13800001234"  # the holder sees it


def test_history_is_paginated(api, lead):
    first = api.as_("ryan").get(f"/leads/{lead}/history", limit=1).json()
    assert [e["version"] for e in first["events"]] == [1]
    assert first["next"] == 1
    rest = api.as_("ryan").get(f"/leads/{lead}/history", after=first["next"]).json()
    assert [e["version"] for e in rest["events"]] == [2]
    assert rest["next"] is None


def test_history_of_a_pool_lead_is_masked_for_reps(api):
    pool_lead = api.as_("ryan").post("/leads", LEAD).json()["id"]
    body = api.as_("rita").get(f"/leads/{pool_lead}/history").json()
    assert body["events"][0]["data"]["contact"]["phone"] == "***1234"
    admin = api.as_("ada").get(f"/leads/{pool_lead}/history").json()
    assert admin["events"][0]["data"]["contact"]["phone"] == "13800001234"


def test_history_respects_access_and_bad_paging(api, lead, opportunity):
    assert api.as_("rita").get(f"/leads/{lead}/history").status_code == 403
    assert api.as_("rita").get(f"/opportunities/{opportunity}/history").status_code == 403
    assert api.as_("ryan").get(f"/leads/{lead}/history", limit=0).status_code == 422
    assert api.as_("ada").get(f"/leads/{uuid.uuid4()}/history").status_code == 404
    opp = api.as_("ryan").get(f"/opportunities/{opportunity}/history").json()
    assert [e["type"] for e in opp["events"]] == ["OpportunityOpened"]


def test_a_delivery_failure_after_a_saved_command_neither_fails_nor_repeats_it(
    api, container, monkeypatch
):
    def broken_catch_up() -> None:
        raise RuntimeError("read-model database unavailable")

    monkeypatch.setattr(container.follower, "catch_up", broken_catch_up)
    first = api.as_("ryan").post("/leads", LEAD, **{"Idempotency-Key": "k-deliver"})
    assert first.status_code == 201
    again = api.as_("ryan").post("/leads", LEAD, **{"Idempotency-Key": "k-deliver"})
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    monkeypatch.undo()
    assert api.as_("ada").get("/reports/funnel").json()["leads"]["captured"] == 1
