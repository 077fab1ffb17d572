"""What every projection is, and the idempotent fold step they share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Protocol

from projections.state import Doc, DocState

Envelope = dict[str, Any]
APPLIED_PREFIX = "~applied:"
BUCKET_DIGITS = 3  # 4,096 buckets of applied versions per read model


class Projection(Protocol):
    """A read model: a name, and a fold of one public envelope into its documents."""

    name: str

    def apply(self, state: DocState, envelope: Envelope) -> None: ...


def fold(projection: Projection, state: DocState, envelope: Envelope) -> bool:
    """Applies the envelope unless its aggregate version was applied already; True if applied.

    Delivery is at least once (relay retries, Kafka redelivery), so the version check is
    what makes the effect on the read model exactly once. The versions applied are kept in
    buckets by the aggregate id's first hex digits: one document per aggregate would be most
    of what a rebuild writes.
    """
    if getattr(projection, "tracks_versions", False):  # a relational read model checks itself
        return projection.apply(state, envelope)  # type: ignore[return-value]
    aggregate_id = envelope["aggregate_id"]
    key = applied_key(aggregate_id)
    applied = state.get(key) or {}
    if applied.get(aggregate_id, 0) >= envelope["aggregate_version"]:
        return False
    projection.apply(state, envelope)
    applied[aggregate_id] = envelope["aggregate_version"]
    state.put(key, applied)
    return True


def applied_key(aggregate_id: str) -> str:
    """The document holding the applied versions of this aggregate and its bucket-mates."""
    return APPLIED_PREFIX + aggregate_id[:BUCKET_DIGITS]


def record_applied(state: DocState, versions: dict[str, int]) -> None:
    """Writes the applied-version markers of many aggregates at once, as `fold` would have
    one event at a time (for a fold that tracked the versions itself)."""
    buckets: dict[str, dict[str, int]] = {}
    for aggregate_id, version in versions.items():
        buckets.setdefault(applied_key(aggregate_id), {})[aggregate_id] = version
    for key, applied in buckets.items():
        state.put(key, (state.get(key) or {}) | applied)


def fold_all(projection: Projection, state: DocState, envelopes: Iterable[Envelope]) -> int:
    """Folds a batch; a state that can load many documents at once (`prefetch`) is first told
    which ones the batch will read, so a database-backed fold makes one query, not hundreds."""
    batch = list(envelopes)
    prefetch = getattr(state, "prefetch", None)
    if prefetch is not None:
        rows_read = getattr(projection, "keys_read", None)  # a relational read model knows
        prefetch(rows_read(batch) if rows_read is not None else keys_read(projection, batch))
    return sum(fold(projection, state, e) for e in batch)


def keys_read(projection: Projection, envelopes: list[Envelope]) -> set[str]:
    """The stored documents folding these envelopes reads, found by a dry run over no stored
    documents. A hint only: the real fold still loads anything the dry run did not foresee."""
    recorder = _ReadRecorder()
    for envelope in envelopes:
        try:
            fold(projection, recorder, envelope)
        except Exception:  # noqa: BLE001 - a fold may need documents the dry run lacks
            continue
    return recorder.read


class _ReadRecorder:
    """A DocState holding only what was put in it, remembering every other key asked for."""

    def __init__(self) -> None:
        self.read: set[str] = set()
        self.written: dict[str, Doc] = {}

    def get(self, key: str) -> Doc | None:
        if key in self.written:
            return self.written[key]
        self.read.add(key)
        return None

    def put(self, key: str, doc: Doc) -> None:
        self.written[key] = doc

    def scan(self, prefix: str) -> Iterator[tuple[str, Doc]]:
        return iter(sorted((k, v) for k, v in self.written.items() if k.startswith(prefix)))


def occurred_at(envelope: Envelope) -> datetime:
    return datetime.fromisoformat(envelope["occurred_at"])
