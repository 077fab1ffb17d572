"""Pool rules and the scheduler over simulated weeks: a lead nobody follows up goes back to the
pool, its holder is warned a day before, a follow-up moves the countdown, a rule change never
reaches back, and the scheduler catches up after downtime without doubling anything.

The week starts on Monday 23 November 2026, 09:00 UTC (the `clock` fixture)."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from api.bootstrap import build, scheduler_of
from consumers.pool_job import PoolJob
from domain.followups import FollowUp
from domain.scoring import Authority
from store.log_reader import all_envelopes
from tests.builders import capture, convert_and_move

pytestmark = pytest.mark.e2e
DAY = timedelta(days=1)


@pytest.fixture
def scheduler(container, tokens):
    """The pool rules' job alone (the other jobs have tests of their own)."""
    return scheduler_of(container, [PoolJob])


def events_of(container, lead, event_type):
    return [
        e for e in all_envelopes(container.app)
        if e["aggregate_id"] == str(lead) and e["type"] == event_type
    ]  # fmt: skip


def held_lead(container, actor):
    lead = capture(container.app, actor())
    container.app.claim_lead(actor(), lead)
    return lead


def test_unfollowed_lead_returns_to_pool_the_next_monday(container, scheduler, clock, ryan):
    monday = clock.now()
    lead = held_lead(container, ryan)
    clock.set(monday + 7 * DAY - timedelta(minutes=1))
    scheduler.run_once()
    assert container.app.get_lead(lead).holder == "ryan"
    clock.set(monday + 7 * DAY)
    assert len(scheduler.run_once().done) == 1
    assert container.app.get_lead(lead).holder is None
    [returned] = events_of(container, lead, "LeadReturnedToPool")
    assert returned["actor"] == "system:scheduler"
    assert returned["data"] == {
        "rep": "ryan", "reason": "no_follow_up", "idle_days": 7, "rule": "default",
        "rule_version": 0, "due_at": (monday + 7 * DAY).isoformat(),
    }  # fmt: skip


def test_a_thursday_follow_up_moves_the_return(api, container, scheduler, clock, ryan):
    monday = clock.now()
    lead = held_lead(container, ryan)
    assert api.as_("ryan").get(f"/leads/{lead}").json()["return_due_at"] == (
        (monday + 7 * DAY).isoformat()
    )
    clock.set(monday + 3 * DAY)
    container.app.follow_up_lead(ryan(), lead, FollowUp("call", "asked for a quote"))
    view = api.as_("ryan").get(f"/leads/{lead}").json()
    assert view["return_due_at"] == (monday + 10 * DAY).isoformat()
    assert view["return_rule"]["name"] == "default"
    assert view["return_rule"]["warn_at"] == (monday + 9 * DAY).isoformat()
    clock.set(monday + 7 * DAY)
    scheduler.run_once()
    assert container.app.get_lead(lead).holder == "ryan"
    clock.set(monday + 10 * DAY)
    scheduler.run_once()
    assert container.app.get_lead(lead).holder is None


def test_the_warning_comes_a_day_before_and_only_once(container, scheduler, clock, ryan):
    monday = clock.now()
    lead = held_lead(container, ryan)
    clock.set(monday + 6 * DAY - timedelta(minutes=1))
    assert scheduler.run_once().done == []
    clock.set(monday + 6 * DAY)
    [warning] = scheduler.run_once().done
    assert warning.action == "return_warning" and warning.rep == "ryan"
    clock.advance(hours=1)
    assert scheduler.run_once().done == []  # the index knows it was given
    [warned] = events_of(container, lead, "LeadReturnWarned")
    assert warned["data"]["due_at"] == (monday + 7 * DAY).isoformat()
    assert container.app.get_lead(lead).holder == "ryan"


def test_a_rule_changed_on_wednesday_does_not_reach_back(api, container, scheduler, clock, ryan):
    monday = clock.now()
    lead = held_lead(container, ryan)
    clock.set(monday + 2 * DAY)  # Wednesday: two days idle already
    rules = {"rules": [{"name": "quick", "idle_days": 2}]}
    answer = api.as_("ada").put("/rules/pool", rules)
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 1
    assert answer.json()["rules"][0]["since"] == clock.now().isoformat()
    assert scheduler.run_once().done == []  # two days since the change, not since Monday
    assert container.app.get_lead(lead).holder == "ryan"
    clock.set(monday + 4 * DAY)  # Friday
    scheduler.run_once()
    [returned] = events_of(container, lead, "LeadReturnedToPool")
    assert (returned["data"]["rule"], returned["data"]["rule_version"]) == ("quick", 1)
    assert returned["data"]["idle_days"] == 4  # idle since Monday, though counted from Wednesday


def test_an_unchanged_rule_keeps_counting_from_when_it_came_into_force(api, clock):
    api.as_("ada").put("/rules/pool", {"rules": [{"name": "east", "team": "east"}]})
    first = api.as_("ada").get("/rules/pool").json()["rules"][0]["since"]
    clock.advance(days=2)
    both = {"rules": [{"name": "east", "team": "east"}, {"name": "west", "team": "west"}]}
    answer = api.as_("ada").put("/rules/pool", both).json()
    assert answer["version"] == 2
    assert [r["since"] for r in answer["rules"]] == [first, clock.now().isoformat()]


def test_converted_and_nurtured_leads_are_exempt(container, scheduler, clock, ryan):
    converted = held_lead(container, ryan)
    convert_and_move(container.app, ryan(), converted)
    nurtured = held_lead(container, ryan)
    container.app.nurture_lead(ryan(), nurtured, reason="next year")
    clock.advance(days=30)
    assert scheduler.run_once().done == []
    assert scheduler.preview(clock.now() + 365 * DAY) == []


def test_rules_apply_by_team_and_tier_and_unmatched_leads_stay(api, container, clock, ryan):
    rules = {"rules": [{"name": "west leads", "team": "west", "idle_days": 3}]}
    api.as_("ada").put("/rules/pool", rules)
    lead = held_lead(container, ryan)  # ryan is in east: no rule applies
    view = api.as_("ryan").get(f"/leads/{lead}").json()
    assert view["return_due_at"] is None and view["return_rule"] is None
    clock.advance(days=30)
    assert scheduler_of(container, [PoolJob]).run_once().done == []


def test_a_lead_not_converted_in_time_returns_with_its_reason(api, container, clock, ryan):
    monday = clock.now()
    rules = {"rules": [{"name": "convert", "idle_days": 7, "no_opportunity_days": 10}]}
    api.as_("ada").put("/rules/pool", rules)
    lead = held_lead(container, ryan)
    for day in (3, 6, 9):  # followed up every three days, never converted
        clock.set(monday + day * DAY)
        container.app.follow_up_lead(ryan(), lead, FollowUp("call", "still thinking"))
    clock.set(monday + 10 * DAY)
    scheduler_of(container, [PoolJob]).run_once()
    [returned] = events_of(container, lead, "LeadReturnedToPool")
    assert returned["data"]["reason"] == "no_opportunity"
    assert returned["data"]["idle_days"] == 10


def test_the_scheduler_down_for_three_days_catches_up(container, scheduler, clock, ryan, rita):
    monday = clock.now()
    early = held_lead(container, ryan)
    clock.advance(days=1)
    later = held_lead(container, rita)
    clock.set(monday + 10 * DAY)  # nothing ran from Saturday to Thursday
    done = scheduler.run_once().done
    assert sorted(d.action for d in done) == ["return_to_pool", "return_to_pool"]  # no warnings
    due = {e["aggregate_id"]: e["data"]["due_at"] for e in all_envelopes(container.app)
           if e["type"] == "LeadReturnedToPool"}  # fmt: skip
    assert due == {str(early): (monday + 7 * DAY).isoformat(),
                   str(later): (monday + 8 * DAY).isoformat()}  # fmt: skip
    assert {e["occurred_at"] for e in all_envelopes(container.app)
            if e["type"] == "LeadReturnedToPool"} == {clock.now().isoformat()}  # fmt: skip


def test_two_schedulers_at_once_never_double_an_effect(container, tokens, clock, ryan, rita):
    leads = [held_lead(container, actor) for actor in (ryan, rita) for _ in range(3)]
    other = build(container.settings, clock=clock)  # a second process on the same store
    try:
        clock.advance(days=8)
        schedulers = [scheduler_of(container), scheduler_of(other)]
        threads = [threading.Thread(target=s.run_once) for s in schedulers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        returns = [e for e in all_envelopes(container.app) if e["type"] == "LeadReturnedToPool"]
        assert sorted(e["aggregate_id"] for e in returns) == sorted(str(x) for x in leads)
        assert schedulers[0].run_once().done == [] and schedulers[1].run_once().done == []
    finally:
        other.close()


def test_preview_lists_what_returns_by_friday_and_changes_nothing(
    container, scheduler, clock, ryan
):
    monday = clock.now()
    lead = held_lead(container, ryan)
    position = container.app.last_position()
    friday = monday + 11 * DAY
    [decision] = scheduler.preview(friday)
    assert (decision.action, decision.subject_id, decision.falls_at) == (
        "return_to_pool", str(lead), monday + 7 * DAY,
    )  # fmt: skip
    assert "rule 'default' v0" in decision.explained
    assert [d.action for d in scheduler.preview(monday + 6 * DAY)] == ["return_warning"]
    assert container.app.last_position() == position


def test_why_explains_the_deadline_and_the_decision(api, container, scheduler, clock, ryan):
    monday = clock.now()
    lead = held_lead(container, ryan)
    why = api.as_("ryan").get(f"/leads/{lead}/why").json()
    [deadline] = why["deadlines"]
    assert deadline["kind"] == "return_to_pool"
    assert deadline["explained"] == (
        f"returns to the pool on {(monday + 7 * DAY).isoformat()} under rule 'default' v0 "
        "after 7 days without a follow-up, unless followed up"
    )
    for day in (6, 7):  # the warning, then the return
        clock.set(monday + day * DAY)
        scheduler.run_once()
    why = api.as_("maria").get(f"/leads/{lead}/why").json()
    assert [d["type"] for d in why["decisions"]] == ["LeadReturnWarned", "LeadReturnedToPool"]
    assert why["decisions"][1]["explained"].startswith(
        "returned to the pool from ryan under rule 'default' v0: 7 days without a follow-up"
    )
    assert why["deadlines"] == []


def test_first_contact_deadline_follows_the_tier(api, container, clock, ryan):
    lead = capture(container.app, ryan())
    container.app.score_lead(ryan(), lead, budget=Decimal(200_000), authority=Authority.DIRECTOR,
                             need_clear=True, timeline_days=10)  # fmt: skip
    container.app.claim_lead(ryan(), lead)
    view = api.as_("ryan").get(f"/leads/{lead}").json()
    assert view["tier"] == "high"
    assert view["contact_due_at"] == (clock.now() + timedelta(hours=24)).isoformat()
    clock.advance(hours=24, minutes=1)
    contact = [d for d in api.as_("ryan").get(f"/leads/{lead}/why").json()["deadlines"]
               if d["kind"] == "first_contact"]  # fmt: skip
    assert contact[0]["state"] == "breached"


def test_only_an_admin_writes_rules_and_bad_rules_name_their_field(api):
    assert api.as_("maria").put("/rules/pool", {"rules": []}).status_code == 403
    bad = api.as_("ada").put("/rules/pool", {"rules": [{"name": "x", "idle_days": 0}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "rules.0.idle_days"
    late = {"rules": [{"name": "x", "idle_days": 2, "warn_days": 2}]}
    refused = api.as_("ada").put("/rules/pool", late)
    assert refused.status_code == 422 and "warn_days" in refused.json()["detail"]
    twice = {"rules": [{"name": "x"}, {"name": "x", "tier": "high"}]}
    assert api.as_("ada").put("/rules/pool", twice).status_code == 422
    assert api.as_("ryan").get("/rules/pool").json() == {
        "version": 0,
        "rules": [{"name": "default", "team": None, "tier": None, "source": None,
                   "idle_days": 7, "no_opportunity_days": None, "warn_days": 1, "since": None}],
    }  # fmt: skip
    api.as_("ada").put("/rules/pool", {"rules": []})
    same = api.as_("ada").put("/rules/pool", {"rules": []})
    assert same.status_code == 409
