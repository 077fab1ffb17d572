"""Folding the log from the start, in memory: reports as of a past moment, and rebuilds."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from projections.base import Envelope, Projection, occurred_at, record_applied
from projections.state import MemoryState
from projections.tables import MemoryTables


@dataclass(frozen=True)
class Rebuilt:
    """The folded read models, the store position they reached, and how many events went in."""

    states: dict[str, MemoryState | MemoryTables]
    position: int
    events: int


def fold_log(
    projections: list[Projection],
    envelopes: Iterable[Envelope],
    until: datetime | None = None,
    on_event: Callable[[Envelope], None] | None = None,
) -> Rebuilt:
    """Folds every envelope (up to `until`) into fresh in-memory states, in log order.

    The same as `fold` into each state, event by event, but quicker for a whole log: every
    read model starts empty and sees the same events, so one record of each aggregate's
    applied version serves them all, and their markers are written once at the end.
    """
    states = {p.name: new_state(p) for p in projections}
    pairs = [(p, states[p.name]) for p in projections]
    applied: dict[str, int] = {}
    position = events = 0
    for envelope in envelopes:
        if on_event is not None:
            on_event(envelope)
        if until is not None and occurred_at(envelope) > until:
            continue
        aggregate_id, version = envelope["aggregate_id"], envelope["aggregate_version"]
        if applied.get(aggregate_id, 0) < version:
            for projection, state in pairs:
                projection.apply(state, envelope)
            applied[aggregate_id] = version
        position = envelope["position"]
        events += 1
    for state in states.values():
        if isinstance(state, MemoryState):  # relational read models keep versions in rows
            record_applied(state, applied)
    return Rebuilt(states, position, events)


def new_state(projection: Projection) -> MemoryState | MemoryTables:
    """An empty in-memory state of the read model's kind: documents, or tables."""
    tables = getattr(projection, "tables", None)
    return MemoryTables(tables) if tables is not None else MemoryState()


def fold_until(
    projections: list[Projection], envelopes: Iterable[Envelope], until: datetime | None = None
) -> dict[str, MemoryState]:
    """Each projection's state after every event that occurred at or before `until`."""
    return fold_log(projections, envelopes, until).states
