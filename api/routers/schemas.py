"""The published event schemas, for analytics consumers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.problems import ApiProblem
from domain.event_schemas import DATA_MODELS, all_json_schemas, json_schema

router = APIRouter(prefix="/schemas", tags=["schemas"])


@router.get("/events")
def event_schemas() -> dict[str, Any]:
    """The JSON Schema of every event type's message, by type (no token needed)."""
    return {"schema_version": 1, "events": all_json_schemas()}


@router.get("/events/{event_type}")
def event_schema(event_type: str) -> dict[str, Any]:
    if event_type not in DATA_MODELS:
        raise ApiProblem(404, "Not Found", f"no event type {event_type[:100]}", "event_type")
    return json_schema(event_type)
