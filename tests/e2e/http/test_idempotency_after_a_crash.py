"""An Idempotency-Key whose API process died mid-command is never refused for ever.

A crash is played by making the step after the command (recording its answer) or the step
after a failure (releasing the key) die, as a kill -9 between them would: the claim stays
unfinished. A retry within the bound hears "still running"; after it, the retry answers what
the command did, from its events in the store, or runs the command if it never took effect.
"""

from __future__ import annotations

from api.idempotency import IdempotencyStore

LEAD = {"source": "web", "company": "ACME", "contact": {"name": "Li Lei", "phone": "13800001234"}}
CONVERSION = {"name": "ACME ERP", "amount": 300000, "expected_close": "2027-01-15"}
SCORE = {"budget": 200000, "authority": "director", "need_clear": True, "timeline_days": 14}


class Killed(Exception):
    """The API process dying at this point: nothing after it in the request runs, and the
    client gets no answer (here a 500, where the dead process would have sent nothing)."""


def die(*_args, **_kwargs):
    raise Killed


def crash_after_the_command(api, monkeypatch, user: str, path: str, body=None, key="k"):
    """Sends the command; its process dies once the command is saved, before the answer is
    recorded or sent."""
    monkeypatch.setattr(IdempotencyStore, "complete", die)
    assert api.as_(user).post(path, body, **{"Idempotency-Key": key}).status_code == 500
    monkeypatch.undo()


def crash_before_the_command_saved(api, monkeypatch, container, path: str, body=None, key="k"):
    """Sends the command; its process dies before anything is saved."""
    monkeypatch.setattr(container.app, "capture_lead", die)
    monkeypatch.setattr(IdempotencyStore, "release", lambda *_: None)
    assert api.as_("ryan").post(path, body, **{"Idempotency-Key": key}).status_code == 500
    monkeypatch.undo()


def past_the_bound(container, clock) -> None:
    clock.advance(seconds=container.settings.idempotency_timeout + 1)


def leads_captured(api) -> int:
    return api.as_("ada").get("/reports/funnel").json()["leads"]["captured"]


def test_a_retry_after_a_crash_that_saved_the_command_answers_its_result(
    api, container, clock, monkeypatch
):
    crash_after_the_command(api, monkeypatch, "ryan", "/leads", LEAD)
    past_the_bound(container, clock)
    retry = api.as_("ryan").post("/leads", LEAD, **{"Idempotency-Key": "k"})
    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["version"] == 1
    assert api.as_("ryan").get(f"/leads/{retry.json()['id']}").json()["company"] == "ACME"
    assert leads_captured(api) == 1
    again = api.as_("ryan").post("/leads", LEAD, **{"Idempotency-Key": "k"})
    assert again.json() == retry.json()  # the recovered answer is the key's answer from now on


def test_a_retry_within_the_bound_hears_the_command_may_still_be_running(
    api, container, clock, monkeypatch
):
    crash_after_the_command(api, monkeypatch, "ryan", "/leads", LEAD)
    clock.advance(seconds=container.settings.idempotency_timeout - 1)
    retry = api.as_("ryan").post("/leads", LEAD, **{"Idempotency-Key": "k"})
    assert retry.status_code == 409
    assert "still running" in retry.json()["detail"]


def test_a_retry_after_a_crash_before_the_command_saved_runs_it_once(
    api, container, clock, monkeypatch
):
    crash_before_the_command_saved(api, monkeypatch, container, "/leads", LEAD)
    past_the_bound(container, clock)
    retry = api.as_("ryan").post("/leads", LEAD, **{"Idempotency-Key": "k"})
    assert retry.status_code == 201
    assert "idempotent-replayed" not in retry.headers
    replayed = api.as_("ryan").post("/leads", LEAD, **{"Idempotency-Key": "k"})
    assert replayed.json() == retry.json()
    assert replayed.headers["idempotent-replayed"] == "true"
    assert leads_captured(api) == 1


def test_a_recovered_conversion_answers_the_opportunity_it_opened(
    api, container, clock, monkeypatch
):
    lead = api.as_("ryan").post("/leads", LEAD).json()["id"]
    api.as_("ryan").post(f"/leads/{lead}/claim")
    crash_after_the_command(api, monkeypatch, "ryan", f"/leads/{lead}/convert", CONVERSION)
    past_the_bound(container, clock)
    retry = api.as_("ryan").post(f"/leads/{lead}/convert", CONVERSION, **{"Idempotency-Key": "k"})
    assert retry.status_code == 201
    body = retry.json()
    assert body["id"] == lead and body["version"] == 3
    opportunity = api.as_("ryan").get(f"/opportunities/{body['opportunity_id']}")
    assert opportunity.status_code == 200
    assert body["opportunity_version"] == opportunity.json()["version"] == 1


def test_a_recovered_score_answers_the_score_and_tier(api, container, clock, monkeypatch):
    lead = api.as_("ryan").post("/leads", LEAD).json()["id"]
    api.as_("ryan").post(f"/leads/{lead}/claim")
    crash_after_the_command(api, monkeypatch, "ryan", f"/leads/{lead}/score", SCORE)
    past_the_bound(container, clock)
    retry = api.as_("ryan").post(f"/leads/{lead}/score", SCORE, **{"Idempotency-Key": "k"})
    assert retry.json() == {"score": 10, "tier": "high", "id": lead, "version": 3}


def test_another_users_command_with_the_same_key_is_not_taken_for_it(
    api, container, clock, monkeypatch
):
    api.as_("rita").post("/leads", LEAD, **{"Idempotency-Key": "k"})
    crash_before_the_command_saved(api, monkeypatch, container, "/leads", LEAD)
    past_the_bound(container, clock)
    retry = api.as_("ryan").post("/leads", LEAD, **{"Idempotency-Key": "k"})
    assert "idempotent-replayed" not in retry.headers  # rita's lead is not ryan's answer
    assert leads_captured(api) == 2


def test_the_same_key_with_another_request_is_still_refused_after_a_crash(
    api, container, clock, monkeypatch
):
    crash_after_the_command(api, monkeypatch, "ryan", "/leads", LEAD)
    past_the_bound(container, clock)
    other = api.as_("ryan").post("/leads", {**LEAD, "company": "Other"}, **{"Idempotency-Key": "k"})
    assert other.status_code == 422
