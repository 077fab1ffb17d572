"""What a command returns to its caller: the aggregate, its new version, the store position."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class CommandResult:
    """What a caller needs after a command: the aggregate, its new version, the store position."""

    id: UUID
    version: int
    position: int


@dataclass(frozen=True)
class ScoreResult(CommandResult):
    score: int = 0
    tier: str = ""


@dataclass(frozen=True)
class ConversionResult(CommandResult):
    opportunity_id: UUID = UUID(int=0)
    opportunity_version: int = 0


@dataclass(frozen=True)
class HistoryPage:
    """Some of an aggregate's events, and how many it has in all."""

    envelopes: list[dict[str, Any]]
    total: int


def recorded_result(envelopes: list[dict[str, Any]]) -> CommandResult | None:
    """The result a command returned, rebuilt from the public envelopes it stored (in log
    order), for a caller who never received it; None when it stored nothing.

    A command saves its primary aggregate first (the lead a conversion converts, the lead a
    claim takes), so the first envelope names it; a score and a conversion carry what their
    results add in the events themselves.
    """
    if not envelopes:
        return None
    primary = envelopes[0]["aggregate_id"]
    versions: dict[str, int] = {}
    for envelope in envelopes:
        versions[envelope["aggregate_id"]] = envelope["aggregate_version"]
    base = CommandResult(UUID(primary), versions[primary], max(e["position"] for e in envelopes))
    by_type = {e["type"]: e["data"] for e in envelopes if e["aggregate_id"] == primary}
    if "LeadScored" in by_type:
        scored = by_type["LeadScored"]
        return ScoreResult(**vars(base), score=scored["score"], tier=scored["tier"])
    if "LeadConverted" in by_type:
        opportunity = by_type["LeadConverted"]["opportunity_id"]
        return ConversionResult(
            **vars(base),
            opportunity_id=UUID(opportunity),
            opportunity_version=versions.get(opportunity, 1),
        )
    return base
