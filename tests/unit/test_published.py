"""The public envelope of DESIGN.md §4, and the masking of contact details."""

from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.published import PUBLIC_TYPES, event_id, keyed_hash, mask_personal_data
from store.log_reader import all_envelopes
from tests.builders import capture

KEY = b"test-key"


def test_envelope_carries_every_field_of_the_contract(app, ryan):
    lead_id = capture(app, ryan())
    envelope = next(iter(all_envelopes(app)))
    assert set(envelope) == {
        "id",
        "type",
        "schema_version",
        "aggregate_type",
        "aggregate_id",
        "aggregate_version",
        "position",
        "occurred_at",
        "actor",
        "correlation_id",
        "data",
    }
    assert envelope["type"] == "LeadCaptured"
    assert envelope["aggregate_type"] == "lead"
    assert envelope["aggregate_id"] == str(lead_id)
    assert envelope["id"] == str(event_id(lead_id, 1))
    assert envelope["data"]["budget"] == 150000


def test_money_is_a_json_number_and_dates_are_iso(app, ryan):
    app.open_opportunity(
        ryan(), name="x", customer="y", amount=Decimal("1234.56"), expected_close=date(2027, 1, 31)
    )
    data = next(iter(all_envelopes(app)))["data"]
    assert data["amount"] == 1234.56
    assert data["expected_close"] == "2027-01-31"


def test_internal_workload_events_are_not_published(app, ryan):
    app.claim_lead(ryan(), capture(app, ryan()))
    types = [e["type"] for e in all_envelopes(app)]
    assert types == ["LeadCaptured", "LeadClaimed"]
    assert app.last_position() > 2  # the workload's events are stored, just not published


def test_event_ids_are_deterministic_per_aggregate_version():
    aggregate = UUID(int=7)
    assert event_id(aggregate, 3) == event_id(aggregate, 3) != event_id(aggregate, 4)


def test_captured_contact_details_are_masked_with_a_keyed_hash(app, ryan):
    capture(app, ryan())
    public = mask_personal_data(next(iter(all_envelopes(app))), KEY)
    contact = public["data"]["contact"]
    assert contact["name"] == "L***"
    assert contact["phone"] == "***1234"
    assert contact["email"] == "l***@acme.cn"
    assert contact["email_hash"] == keyed_hash(KEY, "LI@acme.cn ")
    assert "13800001234" not in str(public)


def test_corrected_contact_details_are_masked_too(app, ryan):
    lead_id = capture(app, ryan())
    app.correct_lead_details(ryan(), lead_id, {"contact.phone": "13999998888"})
    public = mask_personal_data(list(all_envelopes(app))[-1], KEY)
    assert public["data"]["changes"]["contact.phone"] == "***8888"
    assert "13999998888" not in str(public)


def test_published_types_are_exactly_the_event_catalog_v1():
    catalog_v1 = {
        "LeadCaptured", "LeadScored", "LeadClaimed", "LeadAssigned", "LeadReleased",
        "LeadReturnedToPool", "LeadFollowedUp", "LeadQualified", "LeadDisqualified",
        "LeadNurtured", "LeadReactivated", "LeadConverted", "LeadDetailsCorrected",
        "OpportunityOpened", "OpportunityStageChanged", "OpportunityAmountChanged",
        "OpportunityCloseDateChanged", "OpportunityReassigned", "OpportunityFollowedUp",
        "OpportunityWon", "OpportunityLost", "OpportunityReopened", "PipelineDefined",
        "TargetSet",  # added with targets (the management reports), on <prefix>.target.v1
        "RepMovedToTeam",  # added with team history, on <prefix>.membership.v1
        "RulesChanged",  # added with automation, on <prefix>.rules.v1
        "LeadReturnWarned",  # added with automation (pool rules)
        "AlertRaised", "AlertAcknowledged",  # added with automation, on <prefix>.alert.v1
        "LeadContactOverdue",  # added with automation (first-contact SLA)
        "LeadContactErased",  # added with the right to erasure
        "OpportunityLeadSourceCorrected",  # added with the deal's lead source (reports by source)
    }  # fmt: skip
    assert set(PUBLIC_TYPES.values()) == catalog_v1
