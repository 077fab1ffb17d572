"""Rebuilding read models from the event store, and verifying the live ones against a rebuild."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections.base import Envelope, Projection, fold
from projections.replay import Rebuilt, fold_log
from projections.sql_store import STORE_SOURCE, SqlDocStore
from projections.state import Doc, MemoryState
from projections.table_parts import write_part
from projections.tables import MemoryTables


def rebuild(
    projections: list[Projection],
    read_after: Callable[[int], Iterable[Envelope]],
    store: SqlDocStore,
    until: datetime | None = None,
    on_event: Callable[[Envelope], None] | None = None,
) -> Rebuilt:
    """Rebuilds the read models from the log (`read_after(position)` gives its envelopes) and
    swaps each in when it is complete.

    Events stored while the fold ran are folded too, just before the swap, so the rebuilt read
    models hold at least everything a live consumer could have applied meanwhile. Stop the
    Kafka projectors while rebuilding all the same: an event they apply in the last moment
    before the swap is overwritten, and not applied again, because its offset is already
    stored.

    With `until`, the rebuild stops at that moment and is kept beside the live read models
    as `<name>@<until>`, for auditors; the live ones are left as they are.
    """
    with collector_paused():
        rebuilt = fold_log(projections, read_after(0), until, on_event)
        if until is None:
            rebuilt = _fold_more(projections, rebuilt, read_after(rebuilt.position))
        for projection in projections:
            state = rebuilt.states[projection.name]
            if until is None:
                store.write_rebuilt(projection.name, state, {STORE_SOURCE: rebuilt.position})
            elif isinstance(state, MemoryState):
                # A relational read model answers "as of" by itself: nothing to keep beside.
                store.write_rebuilt(f"{projection.name}@{until.isoformat()}", state, {})
    return rebuilt


def rebuild_part(
    projections: list[Projection],
    read_after: Callable[[int], Iterable[Envelope]],
    paths: dict[str, str],
    on_event: Callable[[Envelope], None] | None = None,
) -> Rebuilt:
    """Folds one part of a rebuild of relational read models (the envelopes `read_after`
    gives: a part of the log's aggregates, to its end) and writes each read model's rows to a
    scratch file (`paths` by read model), for `SqlDocStore.write_rebuilt_parts` to swap in."""
    with collector_paused():
        rebuilt = fold_log(projections, read_after(0), None, on_event)
        for projection in projections:
            state = rebuilt.states[projection.name]
            if not isinstance(state, MemoryTables):
                raise TypeError(f"{projection.name} has no tables to rebuild in parts")
            write_part(state, paths[projection.name])
    return rebuilt


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pauses Python's cyclic garbage collector while a whole log is folded in memory.

    The fold builds millions of small dicts that all live until the end; the collector would
    walk them again and again (a tenth to a fifth of a large rebuild) and find nothing: the
    documents and envelopes hold no reference cycles, and reference counting frees the rest.
    For a command-line process only: the switch is process-wide.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _fold_more(
    projections: list[Projection], rebuilt: Rebuilt, envelopes: Iterable[Envelope]
) -> Rebuilt:
    position, events = rebuilt.position, rebuilt.events
    for envelope in envelopes:
        for projection in projections:
            fold(projection, rebuilt.states[projection.name], envelope)
        position, events = envelope["position"], events + 1
    return Rebuilt(rebuilt.states, position, events)


@dataclass(frozen=True)
class Difference:
    """The first place where a live read model and a rebuild disagree."""

    projection: str
    key: str
    live: Doc | None
    rebuilt: Doc | None

    def describe(self) -> str:
        if self.live is None:
            return f"{self.projection}: {self.key} is missing from the live read model"
        if self.rebuilt is None:
            return f"{self.projection}: {self.key} is in the live read model but not in a rebuild"
        fields = sorted(
            k for k in set(self.live) | set(self.rebuilt) if self.live.get(k) != self.rebuilt.get(k)
        )
        shown = "; ".join(
            f"{k}: live {_brief(self.live.get(k))} ≠ rebuilt {_brief(self.rebuilt.get(k))}"
            for k in fields[:3]
        )
        return f"{self.projection}: {self.key} differs ({shown})"


def first_difference(
    projection: str, live: dict[str, Doc], rebuilt: dict[str, Doc]
) -> Difference | None:
    """Compares two read models document by document, in key order."""
    for key in sorted(set(live) | set(rebuilt)):
        if live.get(key) != rebuilt.get(key):
            return Difference(projection, key, live.get(key), rebuilt.get(key))
    return None


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
