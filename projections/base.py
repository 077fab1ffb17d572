"""What every projection is, and the idempotent fold step they share."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from projections.state import DocState

Envelope = dict[str, Any]
APPLIED_PREFIX = "~applied:"


class Projection(Protocol):
    """A read model: a name, and a fold of one public envelope into its documents."""

    name: str

    def apply(self, state: DocState, envelope: Envelope) -> None: ...


def fold(projection: Projection, state: DocState, envelope: Envelope) -> bool:
    """Applies the envelope unless its aggregate version was applied already; True if applied.

    Delivery is at least once (relay retries, Kafka redelivery), so the version check is
    what makes the effect on the read model exactly once.
    """
    key = APPLIED_PREFIX + envelope["aggregate_id"]
    applied = state.get(key)
    if applied is not None and applied["version"] >= envelope["aggregate_version"]:
        return False
    projection.apply(state, envelope)
    state.put(key, {"version": envelope["aggregate_version"]})
    return True


def fold_all(projection: Projection, state: DocState, envelopes: Iterable[Envelope]) -> int:
    return sum(fold(projection, state, e) for e in envelopes)


def occurred_at(envelope: Envelope) -> datetime:
    return datetime.fromisoformat(envelope["occurred_at"])
