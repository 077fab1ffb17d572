"""Assignment rules: a captured lead goes to a rep, or round robin over a team's active reps
below their limits (optionally only those with a tag); no match, the pool. The turn is fair
across restarts and across API processes, and every assignment says why."""

from __future__ import annotations

from collections import Counter

import pytest

from api.bootstrap import build
from api.users import Role
from store.log_reader import all_envelopes
from tests.builders import capture

pytestmark = pytest.mark.e2e
EAST_IT = {"name": "East IT", "match": {"region": "east", "industry": "it"}, "team": "east"}


@pytest.fixture
def east(container, tokens, clock):
    """east has four reps: raj, rita, rosa and ryan (and maria, its manager)."""
    for name in ("rosa", "raj"):
        container.users.add(name, Role.REP, "east", clock.now())
    return container


def it_lead(container, actor, n=0):
    return capture(container.app, actor(), company=f"IT {n}", region="east", industry="it")


def assignments(container):
    return [e for e in all_envelopes(container.app) if e["type"] == "LeadAssigned"]


def test_round_robin_over_100_leads_and_4_reps_with_one_at_her_limit(api, east, maria):
    api.as_("ada").put("/rules/claims", {"max_held": 30})
    for n in range(10):  # rita holds 30 leads already: she is at her limit
        for k in range(3):
            lead = capture(east.app, maria(), company=f"Old {n}-{k}")
            east.app.assign_lead(maria(), lead, rep="rita")
    answer = api.as_("ada").put("/rules/assignment", {"rules": [EAST_IT]})
    assert answer.status_code == 200, answer.text
    for n in range(100):
        assert api.as_("maria").post("/leads", {
            "source": "web", "company": f"IT {n}", "region": "east", "industry": "it",
            "contact": {"name": "Li Lei"},
        }).status_code == 201  # fmt: skip
    by_rule = [e for e in assignments(east) if e["data"].get("rule") == "East IT"]
    assert Counter(e["data"]["rep"] for e in by_rule) == {"raj": 30, "rosa": 30, "ryan": 30}
    assert len(by_rule) == 90  # once all three are at 30 too, the last ten wait in the pool
    first = by_rule[0]["data"]
    assert first["rule_version"] == 1 and first["candidates"][0] == {"rep": "raj", "skipped": None}
    skipping = next(e for e in by_rule if e["data"]["rep"] == "rosa")["data"]["candidates"]
    assert {"rep": "rita", "skipped": "at the limit of 30 leads held"} in skipping
    assert api.as_("ada").get("/pool", limit=1000).json()["total"] == 10


def test_the_turn_survives_a_restart_and_a_second_process(api, east, clock, maria):
    api.as_("ada").put("/rules/assignment", {"rules": [EAST_IT]})
    it_lead(east, maria, 0)  # raj
    restarted = build(east.settings, clock=clock)  # a second process, or the same restarted
    try:
        it_lead(restarted, maria, 1)  # rita: raj had his turn in the other process
        it_lead(east, maria, 2)  # rosa
        it_lead(restarted, maria, 3)  # ryan
    finally:
        restarted.close()
    assert [e["data"]["rep"] for e in assignments(east)] == ["raj", "rita", "rosa", "ryan"]


def test_a_tag_narrows_the_circle_and_a_rule_can_name_a_rep(api, east, maria):
    api.as_("ada").put("/users/rosa/tags", {"tags": ["senior"]})
    rules = {"rules": [
        {"name": "Big", "match": {"source": "referral"}, "team": "east", "tag": "senior"},
        {"name": "Trade shows", "match": {"source": "trade_show"}, "rep": "rita"},
    ]}  # fmt: skip
    assert api.as_("ada").put("/rules/assignment", rules).json()["version"] == 1
    referral = capture(east.app, maria(), source="referral")
    show = capture(east.app, maria(), source="trade_show")
    web = capture(east.app, maria(), source="web")
    assert east.app.get_lead(referral).holder == "rosa"
    assert east.app.get_lead(show).holder == "rita"
    assert east.app.get_lead(web).holder is None  # no rule matches: the pool


def test_why_says_which_rule_and_whom_it_skipped(api, east, maria):
    api.as_("ada").put("/rules/claims", {"max_held": 1})
    raj_lead = capture(east.app, maria())
    east.app.assign_lead(maria(), raj_lead, rep="raj")  # raj is at his limit of one
    api.as_("ada").put("/rules/assignment", {"rules": [EAST_IT]})
    lead = it_lead(east, maria)
    why = api.as_("ada").get(f"/leads/{lead}/why").json()
    [decision] = why["decisions"]
    assert decision["explained"] == (
        "assigned by rule 'East IT' v1 to rita, round robin over 4 reps, "
        "raj skipped at the limit of 1 leads held"
    )


def test_bad_assignment_rules_name_their_field(api, east):
    def refused(rule):
        answer = api.as_("ada").put("/rules/assignment", {"rules": [rule]})
        assert answer.status_code == 422, answer.text
        return answer.json()

    assert "team or to a rep" in refused({"name": "x", "team": "east", "rep": "ryan"})["detail"]
    assert refused({"name": "x", "match": {"colour": "red"}, "team": "east"})["errors"][0][
        "field"] == "rules.0.match.colour"  # fmt: skip
    assert "tag" in refused({"name": "x", "rep": "ryan", "tag": "senior"})["detail"]
    assert api.as_("maria").put("/rules/assignment", {"rules": []}).status_code == 403
    bad_tags = api.as_("ada").put("/users/rosa/tags", {"tags": ["has space"]})
    assert bad_tags.status_code == 422
