"""Tamper evidence: each event's hash is chained to the previous event of its aggregate.

chain(n) = SHA-256(chain(n-1) ‖ canonical JSON of the event: class topic, aggregate id,
version, time and every field). Altering a stored event breaks its own link; removing or
reordering events breaks the versions or the links after them.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.json_values import json_ready

GENESIS = ""
UNHASHED = ("originator_id", "originator_version", "timestamp", "originator_topic", "chain")


def event_chain(
    previous: str,
    topic: str,
    aggregate_id: UUID,
    version: int,
    timestamp: datetime,
    fields: dict[str, Any],
) -> str:
    content = {
        "topic": topic,
        "aggregate_id": str(aggregate_id),
        "version": version,
        "timestamp": timestamp.isoformat(),
        "fields": json_ready({k: v for k, v in fields.items() if k not in UNHASHED}),
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((previous + "\n" + canonical).encode()).hexdigest()


def chain_of(event: Any, topic: str, previous: str) -> str:
    """Recomputes a stored event's chain from its fields, to compare with the one it carries."""
    return event_chain(
        previous,
        topic,
        event.originator_id,
        event.originator_version,
        event.timestamp,
        vars(event),
    )
