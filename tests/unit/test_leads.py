from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.claims import ClaimLimitReached
from domain.errors import InvalidValue, NotFound
from domain.followups import FollowUp
from domain.leads import (
    LeadAlreadyHeld,
    LeadNotHeld,
    LeadStatus,
    LeadStatusConflict,
)
from domain.scoring import Authority
from domain.service import VersionConflict
from store.log_reader import all_envelopes
from tests.builders import capture, convert_and_move


def test_captured_lead_sits_in_the_pool_unheld(app, ryan):
    lead = app.get_lead(capture(app, ryan()))
    assert lead.holder is None
    assert lead.status == LeadStatus.OPEN
    assert lead.contact["name"] == "Li Lei"


def test_capture_refuses_an_empty_company_naming_the_field(app, ryan):
    with pytest.raises(InvalidValue) as error:
        capture(app, ryan(), company="  ")
    assert error.value.field == "company"


def test_capture_refuses_a_negative_budget(app, ryan):
    with pytest.raises(InvalidValue) as error:
        capture(app, ryan(), budget=Decimal(-5))
    assert error.value.field == "budget"


def test_scoring_records_bant_inputs_score_and_tier(app, ryan):
    lead_id = capture(app, ryan())
    result = app.score_lead(
        ryan(),
        lead_id,
        budget=Decimal(200_000),
        authority=Authority.STAFF,
        need_clear=True,
        timeline_days=10,
    )
    assert (result.score, result.tier) == (7, "medium")
    lead = app.get_lead(lead_id)
    assert lead.bant == {
        "budget": Decimal(200_000),
        "authority": "staff",
        "need_clear": True,
        "timeline_days": 10,
    }


def test_claimed_lead_is_held_by_the_claiming_rep(app, ryan):
    lead_id = capture(app, ryan())
    app.claim_lead(ryan(), lead_id)
    assert app.get_lead(lead_id).holder == "ryan"


def test_a_lead_someone_holds_cannot_be_claimed(app, ryan, rita):
    lead_id = capture(app, ryan())
    app.claim_lead(ryan(), lead_id)
    with pytest.raises(LeadAlreadyHeld):
        app.claim_lead(rita(), lead_id)


def test_a_rep_cannot_claim_beyond_the_claim_limit(app, ryan):
    for _ in range(3):
        app.claim_lead(ryan(), capture(app, ryan()))
    with pytest.raises(ClaimLimitReached):
        app.claim_lead(ryan(), capture(app, ryan()))


def test_releasing_a_lead_frees_room_under_the_claim_limit(app, ryan):
    held = [capture(app, ryan()) for _ in range(3)]
    for lead_id in held:
        app.claim_lead(ryan(), lead_id)
    app.release_lead(ryan(), held[0], reason="not my territory")
    app.claim_lead(ryan(), capture(app, ryan()))
    assert app.get_lead(held[0]).holder is None


def test_converting_a_lead_frees_room_under_the_claim_limit(app, ryan):
    held = [capture(app, ryan()) for _ in range(3)]
    for lead_id in held:
        app.claim_lead(ryan(), lead_id)
    app.convert_lead(
        ryan(), held[0], name="Deal", amount=Decimal(1), expected_close=date(2027, 1, 1)
    )
    app.claim_lead(ryan(), capture(app, ryan()))


def test_assignment_by_a_manager_moves_the_lead_between_reps(app, ryan, maria):
    lead_id = capture(app, maria())
    app.claim_lead(ryan(), lead_id)
    app.assign_lead(maria(), lead_id, rep="rita")
    lead = app.get_lead(lead_id)
    assert lead.holder == "rita"


def test_follow_up_needs_the_lead_to_be_held(app, ryan):
    lead_id = capture(app, ryan())
    with pytest.raises(LeadNotHeld):
        app.follow_up_lead(ryan(), lead_id, FollowUp("call", "hello"))


def test_follow_up_records_method_summary_and_next_follow_up(app, ryan, clock):
    lead_id = capture(app, ryan())
    app.claim_lead(ryan(), lead_id)
    next_time = clock.now() + timedelta(days=2)
    app.follow_up_lead(
        ryan(), lead_id, FollowUp("visit", "site visit", "likes it", "send quote", next_time)
    )
    lead = app.get_lead(lead_id)
    assert lead.follow_up_count == 1
    assert lead.next_follow_up_at == next_time
    assert lead.last_follow_up_at == clock.now()


def test_follow_up_refuses_an_unknown_method(app, ryan):
    lead_id = capture(app, ryan())
    app.claim_lead(ryan(), lead_id)
    with pytest.raises(InvalidValue) as error:
        app.follow_up_lead(ryan(), lead_id, FollowUp("fax", "hello"))
    assert error.value.field == "method"


def test_follow_up_refuses_a_next_follow_up_in_the_past(app, ryan, clock):
    lead_id = capture(app, ryan())
    app.claim_lead(ryan(), lead_id)
    with pytest.raises(InvalidValue) as error:
        app.follow_up_lead(
            ryan(), lead_id, FollowUp("call", "x", next_follow_up_at=clock.now() - timedelta(1))
        )
    assert error.value.field == "next_follow_up_at"


def test_a_disqualified_lead_cannot_be_converted(app, ryan):
    lead_id = capture(app, ryan())
    app.disqualify_lead(ryan(), lead_id, reason="no budget")
    with pytest.raises(LeadStatusConflict):
        app.convert_lead(
            ryan(), lead_id, name="D", amount=Decimal(1), expected_close=date(2027, 1, 1)
        )


def test_converting_opens_an_opportunity_owned_by_the_holder_for_the_lead_company(app, ryan):
    lead_id = capture(app, ryan(), company="Globex")
    app.claim_lead(ryan(), lead_id)
    result = app.convert_lead(
        ryan(), lead_id, name="Globex CRM", amount=Decimal(5000), expected_close=date(2027, 3, 1)
    )
    opp = app.get_opportunity(result.opportunity_id)
    assert (opp.customer, opp.owner, opp.lead_id, opp.stage) == (
        "Globex",
        "ryan",
        lead_id,
        "contact",
    )
    assert app.get_lead(lead_id).opportunity_id == result.opportunity_id


def test_a_lead_is_qualified_once(app, ryan):
    lead_id = capture(app, ryan())
    app.qualify_lead(ryan(), lead_id)
    with pytest.raises(LeadStatusConflict):
        app.qualify_lead(ryan(), lead_id)


def test_nurtured_lead_leaves_its_rep_and_reactivation_returns_it_to_the_pool(app, ryan):
    lead_id = capture(app, ryan())
    app.claim_lead(ryan(), lead_id)
    app.nurture_lead(ryan(), lead_id, reason="buying next year")
    assert app.get_lead(lead_id).status == LeadStatus.NURTURING
    app.reactivate_lead(ryan(), lead_id)
    lead = app.get_lead(lead_id)
    assert (lead.status, lead.holder) == (LeadStatus.OPEN, None)


def test_return_to_pool_needs_a_known_reason(app, ryan):
    lead_id = capture(app, ryan())
    app.claim_lead(ryan(), lead_id)
    with pytest.raises(InvalidValue):
        app.return_lead_to_pool(ryan(), lead_id, reason="bored")
    app.return_lead_to_pool(ryan(), lead_id, reason="no_follow_up", idle_days=8)
    assert app.get_lead(lead_id).holder is None


def test_details_correction_keeps_only_real_changes(app, ryan):
    lead_id = capture(app, ryan())
    app.correct_lead_details(ryan(), lead_id, {"company": "ACME Ltd", "source": "web"})
    lead = app.get_lead(lead_id)
    assert lead.company == "ACME Ltd"
    with pytest.raises(InvalidValue):
        app.correct_lead_details(ryan(), lead_id, {"company": "ACME Ltd"})


def test_stale_expected_version_is_a_conflict(app, ryan):
    lead_id = capture(app, ryan())
    app.claim_lead(ryan(), lead_id, expected_version=1)
    with pytest.raises(VersionConflict):
        app.release_lead(ryan(), lead_id, reason="x", expected_version=1)


def test_lead_state_at_an_earlier_version_and_time(app, ryan, clock):
    lead_id = capture(app, ryan())
    before_claim = clock.now()
    clock.advance(hours=1)
    app.claim_lead(ryan(), lead_id)
    assert app.get_lead(lead_id, version=1).holder is None
    assert app.get_lead(lead_id, as_of=before_claim).holder is None
    assert app.get_lead(lead_id, as_of=clock.now()).holder == "ryan"
    with pytest.raises(NotFound):
        app.get_lead(lead_id, as_of=before_claim - timedelta(days=1))


def test_every_event_records_the_acting_user_and_correlation_id(app, ryan, maria):
    lead_id = capture(app, maria())
    app.claim_lead(ryan(), lead_id)
    events = [e for e in all_envelopes(app) if e["aggregate_id"] == str(lead_id)]
    assert [e["actor"] for e in events] == ["maria", "ryan"]
    assert all(e["correlation_id"] for e in events)


def test_a_converted_deal_carries_its_leads_source(app, ryan):
    lead_id = capture(app, ryan(), source="fair")
    app.claim_lead(ryan(), lead_id)
    deal = convert_and_move(app, ryan(), lead_id)
    assert app.get_opportunity(deal).lead_source == "fair"
    opened = next(e for e in all_envelopes(app) if e["type"] == "OpportunityOpened")
    assert opened["data"]["lead_source"] == "fair"


def test_correcting_a_converted_leads_source_corrects_its_won_deal_in_the_same_commit(app, ryan):
    lead_id = capture(app, ryan(), source="fair")
    app.claim_lead(ryan(), lead_id)
    deal = convert_and_move(app, ryan(), lead_id)
    app.win_opportunity(ryan(), deal)
    app.correct_lead_details(ryan(), lead_id, {"source": "referral", "company": "ACME Ltd"})
    assert app.get_opportunity(deal).lead_source == "referral"
    last_two = list(all_envelopes(app))[-2:]
    assert [e["type"] for e in last_two] == [
        "LeadDetailsCorrected",
        "OpportunityLeadSourceCorrected",
    ]
    assert last_two[1]["data"] == {"lead_source": "referral"}
    assert last_two[0]["position"] + 1 == last_two[1]["position"]


def test_correcting_other_details_of_a_converted_lead_leaves_its_deal_alone(app, ryan):
    lead_id = capture(app, ryan())
    app.claim_lead(ryan(), lead_id)
    deal = convert_and_move(app, ryan(), lead_id)
    version = app.get_opportunity(deal).version
    app.correct_lead_details(ryan(), lead_id, {"company": "ACME Ltd"})
    assert app.get_opportunity(deal).version == version
