"""Folding the log from the start, in memory: reports as of a past moment, and rebuilds."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from projections.base import Envelope, Projection, fold, occurred_at
from projections.state import MemoryState


@dataclass(frozen=True)
class Rebuilt:
    """The folded read models, the store position they reached, and how many events went in."""

    states: dict[str, MemoryState]
    position: int
    events: int


def fold_log(
    projections: list[Projection],
    envelopes: Iterable[Envelope],
    until: datetime | None = None,
    on_event: Callable[[Envelope], None] | None = None,
) -> Rebuilt:
    """Folds every envelope (up to `until`) into fresh in-memory states, in log order."""
    states = {p.name: MemoryState() for p in projections}
    pairs = [(p, states[p.name]) for p in projections]
    position = events = 0
    for envelope in envelopes:
        if on_event is not None:
            on_event(envelope)
        if until is not None and occurred_at(envelope) > until:
            continue
        for projection, state in pairs:
            fold(projection, state, envelope)
        position = envelope["position"]
        events += 1
    return Rebuilt(states, position, events)


def fold_until(
    projections: list[Projection], envelopes: Iterable[Envelope], until: datetime | None = None
) -> dict[str, MemoryState]:
    """Each projection's state after every event that occurred at or before `until`."""
    return fold_log(projections, envelopes, until).states
