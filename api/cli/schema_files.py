"""The event schemas as files: what `salesledger schema export` writes under docs/events/."""

from __future__ import annotations

import json
from pathlib import Path

from domain.event_schemas import all_json_schemas
from domain.published import SCHEMA_VERSION


def schema_file_name(event_type: str) -> str:
    return f"{event_type}.v{SCHEMA_VERSION}.schema.json"


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def export_schemas(folder: Path) -> list[Path]:
    """Writes one JSON Schema per event type; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for event_type, schema in all_json_schemas().items():
        path = folder / schema_file_name(event_type)
        path.write_text(render(schema))
        written.append(path)
    return written
