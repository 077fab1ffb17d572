"""Every published event type has a JSON Schema, the committed files are current, and every
message we publish validates against its schema and declares no undocumented field."""

from __future__ import annotations

from pathlib import Path

import jsonschema

from api.cli.schema_files import render, schema_file_name
from domain.event_schemas import DATA_MODELS, all_json_schemas, json_schema
from domain.published import PUBLIC_TYPES, mask_personal_data
from store.log_reader import all_envelopes
from tests.builders import capture, every_kind_of_event

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events"


def test_every_published_type_has_a_schema():
    assert set(DATA_MODELS) == set(PUBLIC_TYPES.values())


def test_committed_schema_files_are_current():
    for event_type, schema in all_json_schemas().items():
        path = DOCS / schema_file_name(event_type)
        assert path.read_text() == render(schema), f"run `salesledger schema export` ({path})"


def test_every_published_message_validates_against_its_schema(app, ryan, maria, clock):
    every_kind_of_event(app, ryan, maria, clock)
    seen = set()
    for envelope in all_envelopes(app):
        message = mask_personal_data(envelope, b"key")
        schema = json_schema(message["type"])
        jsonschema.validate(message, schema)
        declared = set(schema["$defs"][message["type"]]["properties"])
        assert set(message["data"]) <= declared, f"undocumented field in {message['type']}"
        seen.add(message["type"])
    assert seen == set(DATA_MODELS)


def test_a_message_missing_a_required_field_does_not_validate(app, ryan, maria, clock):
    capture(app, ryan())
    message = mask_personal_data(next(iter(all_envelopes(app))), b"key")
    del message["data"]["company"]
    try:
        jsonschema.validate(message, json_schema("LeadCaptured"))
    except jsonschema.ValidationError as error:
        assert "company" in error.message
    else:
        raise AssertionError("a LeadCaptured without company validated")
