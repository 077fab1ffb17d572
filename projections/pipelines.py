"""The pipeline definitions in force, folded from PipelineDefined events, for every projection."""

from __future__ import annotations

from typing import Any

from domain.stages import DEFAULT_STAGES, LOST, WON
from projections.base import Envelope
from projections.state import DocState

PREFIX = "pipeline:"
WON_RANK = 10_000
LOST_RANK = -1


def record_pipeline(state: DocState, envelope: Envelope) -> None:
    """A new definition supersedes the old one from its time on."""
    data = envelope["data"]
    state.put(PREFIX + data["product_line"], {"stages": data["stages"]})


def stages_of(state: DocState, product_line: str) -> list[dict[str, Any]]:
    """The open stages of a product line as now folded (the default pipeline if undefined)."""
    doc = state.get(PREFIX + product_line)
    if doc is None:
        return [
            {"key": s.key, "name": s.name, "probability": float(s.probability)}
            for s in DEFAULT_STAGES.stages
        ]
    return doc["stages"]


def stage_rank(state: DocState, product_line: str, stage: str) -> int:
    """Position of a stage in its pipeline as folded: see `rank_among`."""
    return rank_among([s["key"] for s in stages_of(state, product_line)], stage)


def rank_among(keys: list[str], stage: str | None) -> int:
    """Position of a stage among its pipeline's open stage keys: won above all, lost and
    unknown stages below."""
    if stage == WON:
        return WON_RANK
    return keys.index(stage) if stage in keys and stage != LOST else LOST_RANK


def stage_order(state: DocState, product_lines: list[str]) -> list[str]:
    """Stage keys across product lines, in pipeline order, each once."""
    order: list[str] = []
    for product_line in product_lines or ["general"]:
        for stage in stages_of(state, product_line):
            if stage["key"] not in order:
                order.append(stage["key"])
    return order
