"""Folding the log from the start, in memory: reports as of a past moment, and rebuild checks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from projections.base import Envelope, Projection, fold, occurred_at
from projections.state import MemoryState


def fold_until(
    projections: list[Projection], envelopes: Iterable[Envelope], until: datetime | None = None
) -> dict[str, MemoryState]:
    """Each projection's state after every event that occurred at or before `until`."""
    states = {p.name: MemoryState() for p in projections}
    for envelope in envelopes:
        if until is not None and occurred_at(envelope) > until:
            continue
        for projection in projections:
            fold(projection, states[projection.name], envelope)
    return states
