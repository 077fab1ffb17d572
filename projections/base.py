"""What every projection is, and the idempotent fold step they share."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from projections.state import DocState

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
    aggregate_id = envelope["aggregate_id"]
    key = APPLIED_PREFIX + aggregate_id[:BUCKET_DIGITS]
    applied = state.get(key) or {}
    if applied.get(aggregate_id, 0) >= envelope["aggregate_version"]:
        return False
    projection.apply(state, envelope)
    applied[aggregate_id] = envelope["aggregate_version"]
    state.put(key, applied)
    return True


def fold_all(projection: Projection, state: DocState, envelopes: Iterable[Envelope]) -> int:
    return sum(fold(projection, state, e) for e in envelopes)


def occurred_at(envelope: Envelope) -> datetime:
    return datetime.fromisoformat(envelope["occurred_at"])
