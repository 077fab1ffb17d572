"""The claim policy: the leads a rep may hold, claim in a day, and the cooldown before a rep
claims again a lead that went back to the pool from them. A refused claim is a 409 naming the
rule and when the claim becomes possible."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import capture

pytestmark = pytest.mark.e2e


def pool_lead(container, actor):
    return capture(container.app, actor())


def test_the_policy_is_versioned_and_read_by_everyone(api):
    assert api.as_("ryan").get("/rules/claims").json() == {
        "version": 0,
        "max_held": 3,
        "max_per_day": None,
        "reclaim_cooldown_days": 3,
    }  # fmt: skip  (max_held: the deployment's claim limit until an admin writes a policy)
    written = api.as_("ada").put("/rules/claims", {"max_held": 20, "max_per_day": 2})
    assert written.status_code == 200, written.text
    assert written.json() == {
        "version": 1, "max_held": 20, "max_per_day": 2, "reclaim_cooldown_days": 3,
    }  # fmt: skip
    assert api.as_("maria").put("/rules/claims", {"max_held": 1}).status_code == 403
    bad = api.as_("ada").put("/rules/claims", {"max_held": "lots"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "max_held"


def test_a_daily_claim_limit_refuses_until_midnight(api, container, clock, ryan):
    api.as_("ada").put("/rules/claims", {"max_held": 20, "max_per_day": 2})
    leads = [pool_lead(container, ryan) for _ in range(3)]
    for lead in leads[:2]:
        assert api.as_("ryan").post(f"/leads/{lead}/claim").status_code == 200
    refused = api.as_("ryan").post(f"/leads/{leads[2]}/claim")
    assert refused.status_code == 409
    body = refused.json()
    assert body["rule"] == "max_per_day"
    assert body["available_at"] == "2026-11-24T00:00:00+00:00"
    assert api.as_("rita").post(f"/leads/{leads[2]}/claim").status_code == 200  # rita may
    clock.set(clock.now().replace(hour=0) + timedelta(days=1))
    again = pool_lead(container, ryan)
    assert api.as_("ryan").post(f"/leads/{again}/claim").status_code == 200


def test_a_rep_waits_three_days_to_claim_back_a_lead_returned_from_them(
    api, container, clock, ryan
):
    lead = pool_lead(container, ryan)
    api.as_("ryan").post(f"/leads/{lead}/claim")
    api.as_("ryan").post(f"/leads/{lead}/release", {"reason": "not my region"})
    released_at = clock.now()
    clock.advance(days=2)
    refused = api.as_("ryan").post(f"/leads/{lead}/claim")
    assert refused.status_code == 409
    assert refused.json()["rule"] == "reclaim_cooldown"
    assert refused.json()["available_at"] == (released_at + timedelta(days=3)).isoformat()
    assert "claim it again from" in refused.json()["detail"]
    clock.advance(days=1)
    assert api.as_("ryan").post(f"/leads/{lead}/claim").status_code == 200


def test_the_held_limit_names_its_rule(api, container, ryan):
    leads = [pool_lead(container, ryan) for _ in range(4)]
    for lead in leads[:3]:
        api.as_("ryan").post(f"/leads/{lead}/claim")
    refused = api.as_("ryan").post(f"/leads/{leads[3]}/claim")
    assert refused.status_code == 409
    assert (refused.json()["rule"], refused.json()["available_at"]) == ("max_held", None)
    api.as_("ada").put("/rules/claims", {"max_held": 4})
    assert api.as_("ryan").post(f"/leads/{leads[3]}/claim").status_code == 200
