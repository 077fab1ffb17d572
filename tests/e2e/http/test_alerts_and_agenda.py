"""What time brings besides returns to the pool: a late first contact recorded and told to the
manager, reminders before planned follow-ups, nurtured leads re-evaluated, quiet reps, high-
value leads left alone, stale deals; the alerts a role sees and acknowledges; a rep's agenda.

The week starts on Monday 23 November 2026, 09:00 UTC (the `clock` fixture)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from api.bootstrap import build, scheduler_of
from api.settings import Settings
from consumers.alert_jobs import QuietRepJob, StaleDealJob, UntouchedLeadJob
from consumers.timed_jobs import ReevaluationJob, ReminderJob, SlaJob
from domain.followups import FollowUp
from domain.scoring import Authority
from store.log_reader import all_envelopes
from tests.builders import capture, open_deal

pytestmark = pytest.mark.e2e
HOUR = timedelta(hours=1)


def high_lead(container, actor):
    """A lead scored high (24 h first-contact SLA), claimed by the actor."""
    lead = capture(container.app, actor())
    container.app.score_lead(actor(), lead, budget=Decimal(200_000),
                             authority=Authority.DIRECTOR, need_clear=True,
                             timeline_days=10)  # fmt: skip
    container.app.claim_lead(actor(), lead)
    return lead


def alerts_of(api, user, **params):
    answer = api.as_(user).get("/alerts", **params)
    assert answer.status_code == 200, answer.text
    return answer.json()["alerts"]


def test_an_sla_breaches_at_24_hours_and_one_minute(api, container, tokens, clock, ryan):
    lead = high_lead(container, ryan)
    scheduler = scheduler_of(container, [SlaJob])
    clock.advance(hours=24)
    assert scheduler.run_once().done == []
    clock.advance(minutes=1)
    [breach] = scheduler.run_once().done
    assert (breach.action, breach.subject_id) == ("sla_breach", str(lead))
    assert scheduler.run_once().done == []  # recorded once
    [event] = [e for e in all_envelopes(container.app) if e["type"] == "LeadContactOverdue"]
    assert event["data"]["rep"] == "ryan" and event["data"]["tier"] == "high"
    [alert] = alerts_of(api, "maria")  # ryan's manager hears of it
    assert (alert["kind"], alert["audience"], alert["rep"]) == ("sla_breach", "manager", "ryan")
    assert alerts_of(api, "ryan") == [] and alerts_of(api, "wes") == []
    week = api.as_("maria").get("/reports/rep-activity", week="2026-W48").json()["rows"]
    assert {row["rep"]: row["sla_breaches"] for row in week}["ryan"] == 1


def test_a_contact_in_time_breaches_nothing(container, tokens, clock, ryan):
    lead = high_lead(container, ryan)
    clock.advance(hours=23)
    container.app.follow_up_lead(ryan(), lead, FollowUp("call", "intro"))
    clock.advance(days=2)
    assert scheduler_of(container, [SlaJob]).run_once().done == []


def test_a_reminder_comes_24_hours_before_a_planned_follow_up(api, container, tokens, clock, ryan):
    lead = capture(container.app, ryan())
    container.app.claim_lead(ryan(), lead)
    call_at = clock.now() + timedelta(days=3)
    container.app.follow_up_lead(ryan(), lead, FollowUp("call", "intro", next_follow_up_at=call_at))
    scheduler = scheduler_of(container, [ReminderJob])
    clock.set(call_at - timedelta(hours=24, minutes=1))
    assert scheduler.run_once().done == []
    clock.advance(minutes=1)
    assert [d.action for d in scheduler.run_once().done] == ["follow_up_due"]
    assert scheduler.run_once().done == []
    [alert] = alerts_of(api, "ryan")
    assert alert["kind"] == "follow_up_due" and alert["due_at"] == call_at.isoformat()
    agenda = api.as_("ryan").get("/me/agenda").json()
    assert [(f["id"], f["overdue"]) for f in agenda["follow_ups"]] == [(str(lead), False)]
    assert agenda["alerts_total"] == 1


def test_alerts_are_acknowledged_once_by_whoever_may_see_them(api, container, tokens, clock, ryan):
    won = open_deal(container.app, ryan())
    container.app.win_opportunity(ryan(), won)
    [alert] = alerts_of(api, "ryan")
    assert alert["kind"] == "after_sale_call"
    assert api.as_("will").post(f"/alerts/{alert['alert_id']}/ack").status_code == 403
    assert api.as_("ryan").post(f"/alerts/{alert['alert_id']}/ack").status_code == 200
    assert api.as_("ryan").post(f"/alerts/{alert['alert_id']}/ack").status_code == 409
    assert alerts_of(api, "ryan") == []
    [done] = alerts_of(api, "maria", acknowledged="true")
    assert done["acknowledged_by"] == "ryan"
    assert api.as_("ryan").get("/alerts", kind="nonsense").status_code == 422


def test_a_nurtured_lead_is_due_again_after_three_months(api, container, tokens, clock, ryan):
    lead = capture(container.app, ryan())
    container.app.claim_lead(ryan(), lead)
    container.app.nurture_lead(ryan(), lead, reason="budget next year")
    scheduler = scheduler_of(container, [ReevaluationJob])
    [deadline] = api.as_("maria").get(f"/leads/{lead}/why").json()["deadlines"]
    due = clock.now() + timedelta(days=90)
    assert (deadline["kind"], deadline["due_at"]) == ("re_evaluation", due.isoformat())
    clock.advance(days=89)
    assert scheduler.run_once().done == []
    clock.advance(days=1)
    assert [d.action for d in scheduler.run_once().done] == ["re_evaluation"]
    state = container.app.get_lead(lead)
    assert (state.status.value, state.holder) == ("open", None)
    [back] = [e for e in all_envelopes(container.app) if e["type"] == "LeadReactivated"]
    assert back["data"] == {"reason": "re_evaluation"} and back["actor"] == "system:scheduler"
    assert [a["kind"] for a in alerts_of(api, "maria")] == ["re_evaluation"]


def test_the_nurture_rule_parks_low_leads_and_sets_the_review_time(api, container, tokens, ryan):
    policy = {"low_to_nurture": True, "review_after_days": 30}
    assert api.as_("ada").put("/rules/nurture", policy).json() == {"version": 1, **policy}
    lead = capture(container.app, ryan())
    container.app.claim_lead(ryan(), lead)
    scored = api.as_("ryan").post(f"/leads/{lead}/score", {
        "budget": 1000, "authority": "staff", "need_clear": False, "timeline_days": 200,
    })  # fmt: skip
    assert scored.json()["tier"] == "low"
    state = container.app.get_lead(lead)
    assert (state.status.value, state.status_reason, state.holder) == (
        "nurturing",
        "scored_low",
        None,
    )
    assert container.app.leads_held_by("ryan") == []


def test_the_manager_hears_of_a_quiet_rep_and_an_untouched_key_lead(
    api, container, tokens, clock, ryan
):
    lead = high_lead(container, ryan)
    container.app.follow_up_lead(ryan(), lead, FollowUp("call", "intro"))
    api.as_("ada").put("/rules/alerts", {"quiet_rep_days": 5, "untouched_lead_days": 4})
    scheduler = scheduler_of(container, [QuietRepJob, UntouchedLeadJob])
    clock.advance(days=4)
    assert [d.action for d in scheduler.run_once().done] == ["untouched_lead"]
    clock.advance(days=1)
    assert [d.action for d in scheduler.run_once().done] == ["quiet_rep"]
    assert scheduler.run_once().done == []  # once per quiet spell, once per lead left alone
    kinds = sorted(a["kind"] for a in alerts_of(api, "maria"))
    assert kinds == ["quiet_rep", "untouched_lead"]
    assert alerts_of(api, "wes") == []


def test_a_deal_longer_in_its_stage_than_expected_is_stale(api, container, tokens, clock, ryan):
    deal = open_deal(container.app, ryan())  # the default pipeline: contact, 2 days expected
    scheduler = scheduler_of(container, [StaleDealJob])
    clock.advance(days=2, minutes=-1)
    assert scheduler.run_once().done == []
    clock.advance(minutes=1)
    [stale] = scheduler.run_once().done
    assert (stale.action, stale.subject_id, stale.rep) == ("stale_deal", str(deal), "ryan")
    container.app.move_opportunity(ryan(), deal, stage="needs")  # 5 days expected there
    clock.advance(days=4)
    assert scheduler.run_once().done == []
    [alert] = alerts_of(api, "ryan")
    assert "longer than its 2 days" in alert["message"]


def test_the_agenda_shows_returns_near_and_first_contacts_due(api, container, tokens, clock, ryan):
    lead = high_lead(container, ryan)
    clock.advance(days=5)
    agenda = api.as_("ryan").get("/me/agenda").json()
    [near] = agenda["returns"]
    assert near["lead_id"] == str(lead)
    assert near["return_due_at"] == (clock.now() + timedelta(days=2)).isoformat()
    [contact] = agenda["first_contacts"]
    assert (contact["lead_id"], contact["state"]) == (str(lead), "breached")
    assert api.as_("rita").get("/me/agenda").json()["returns"] == []


def test_the_first_contact_slas_are_configurable(tmp_path, clock, ryan):
    settings = Settings(data_dir=tmp_path / "own", database_url=None, kafka_bootstrap=None,
                        sla_hours="high=2,medium=4")  # fmt: skip
    own = build(settings, clock=clock)
    try:
        high_lead(own, ryan)
        clock.advance(hours=2, minutes=1)
        assert [d.action for d in scheduler_of(own, [SlaJob]).run_once().done] == ["sla_breach"]
    finally:
        own.close()
    with pytest.raises(ValueError, match="sla_hours"):
        Settings(sla_hours="urgent=1")
