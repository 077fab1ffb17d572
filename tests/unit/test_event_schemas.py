"""Every published event type has a JSON Schema, the committed files are current, and every
message we publish validates against its schema and declares no undocumented field."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import jsonschema

from consumers.schema_files import render, schema_file_name
from domain.event_schemas import DATA_MODELS, all_json_schemas, json_schema
from domain.followups import FollowUp
from domain.published import PUBLIC_TYPES, mask_personal_data
from domain.scoring import Authority
from tests.conftest import capture

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events"


def test_every_published_type_has_a_schema():
    assert set(DATA_MODELS) == set(PUBLIC_TYPES.values())


def test_committed_schema_files_are_current():
    for event_type, schema in all_json_schemas().items():
        path = DOCS / schema_file_name(event_type)
        assert path.read_text() == render(schema), f"run `salesledger schema export` ({path})"


def every_kind_of_event(app, ryan, maria, clock):
    app.define_pipeline(maria(), "hw", [{"key": "demo", "name": "Demo", "probability": "0.2"}])
    app.define_pipeline(maria(), "hw", [{"key": "trial", "name": "Trial", "probability": "0.4"}])
    lead = capture(app, ryan())
    app.score_lead(
        ryan(),
        lead,
        budget=Decimal(1),
        authority=Authority.STAFF,
        need_clear=False,
        timeline_days=3,
    )
    app.claim_lead(ryan(), lead)
    app.follow_up_lead(
        ryan(), lead, FollowUp("call", "s", "f", "n", clock.now() + timedelta(days=1))
    )
    app.release_lead(ryan(), lead, reason="r")
    app.assign_lead(maria(), lead, rep="ryan")
    app.return_lead_to_pool(maria(), lead, reason="rep_left")
    app.correct_lead_details(ryan(), lead, {"contact.email": "new@acme.cn", "company": "A2"})
    app.nurture_lead(ryan(), lead)
    app.reactivate_lead(maria(), lead)
    app.qualify_lead(ryan(), lead)
    app.convert_lead(ryan(), lead, name="d", amount=Decimal(2), expected_close=date(2027, 1, 1))
    other = capture(app, ryan())
    app.disqualify_lead(ryan(), other, reason="spam")
    opp = app.open_opportunity(
        ryan(), name="o", customer="c", amount=Decimal("9.5"), expected_close=date(2027, 1, 1)
    ).id
    app.move_opportunity(ryan(), opp, stage="needs")
    app.change_opportunity_amount(ryan(), opp, amount=Decimal(10))
    app.change_opportunity_close_date(ryan(), opp, expected_close=date(2027, 2, 1))
    app.reassign_opportunity(maria(), opp, to_rep="rita")
    app.follow_up_opportunity(ryan(), opp, FollowUp("demo", "s"))
    app.lose_opportunity(ryan(), opp, reason="price", competitor="X")
    app.reopen_opportunity(ryan(), opp)
    app.win_opportunity(ryan(), opp)


def test_every_published_message_validates_against_its_schema(app, ryan, maria, clock):
    every_kind_of_event(app, ryan, maria, clock)
    seen = set()
    for envelope in app.all_envelopes():
        message = mask_personal_data(envelope, b"key")
        schema = json_schema(message["type"])
        jsonschema.validate(message, schema)
        declared = set(schema["$defs"][message["type"]]["properties"])
        assert set(message["data"]) <= declared, f"undocumented field in {message['type']}"
        seen.add(message["type"])
    assert seen == set(DATA_MODELS)


def test_a_message_missing_a_required_field_does_not_validate(app, ryan, maria, clock):
    capture(app, ryan())
    message = mask_personal_data(next(iter(app.all_envelopes())), b"key")
    del message["data"]["company"]
    try:
        jsonschema.validate(message, json_schema("LeadCaptured"))
    except jsonschema.ValidationError as error:
        assert "company" in error.message
    else:
        raise AssertionError("a LeadCaptured without company validated")
