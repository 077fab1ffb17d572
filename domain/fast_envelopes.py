"""Envelopes straight from stored rows, for the processes that read the whole log.

The library's mapper turns each row into a domain-event object, which `envelope_of` then turns
back into plain JSON values; for the relay, the projections and rebuilds that is most of their
work. Here the stored JSON is decoded once and its typed values (eventsourcing's transcodings)
are turned into the envelope's plain values directly. The result is the same envelope, which
a test checks event type by event type. Rows that need the mapper (an event class with an
upcaster, a cipher, compression) still go through it.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, Notification
from eventsourcing.utils import get_topic

from domain.published import PUBLIC_TYPES, SCHEMA_VERSION, aggregate_type_of, envelope_of
from domain.workloads import RepWorkload

_NOT_PUBLISHED = {
    get_topic(cls) for cls in (RepWorkload.Started, RepWorkload.LeadTaken, RepWorkload.LeadGivenUp)
}
_ENVELOPE_KEYS = ("timestamp", "originator_topic", "actor", "correlation_id", "chain")


def _decimal_number(text: str) -> int | float:
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def _dashed(hex32: str) -> str:
    """A UUID's hex as its usual text, without building a UUID object (rebuilds do this a
    million times)."""
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


def _event_id(aggregate_id: UUID, version: int) -> str:
    """uuid5(aggregate_id, str(version)) as text, as `domain.published.event_id` gives it."""
    digest = bytearray(hashlib.sha1(aggregate_id.bytes + str(version).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    return _dashed(digest.hex())


_PLAIN = {
    "decimal_str": _decimal_number,
    "uuid_hex": lambda text: _dashed(text) if len(text) == 32 else str(UUID(text)),
    "datetime_iso": lambda text: text,
    "date_iso": lambda text: text,
}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        if "_type_" in value and "_data_" in value and len(value) == 2:
            return _PLAIN[value["_type_"]](value["_data_"])
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _loads(state: bytes) -> dict[str, Any]:
    try:
        return orjson.loads(state)
    except orjson.JSONDecodeError:  # orjson refuses integers beyond 64 bits; json does not
        return json.loads(state)


class EnvelopeReader:
    """Turns stored notifications into public envelopes (None for unpublished events)."""

    def __init__(self, mapper: Mapper) -> None:
        self.mapper = mapper
        self.direct = mapper.cipher is None and mapper.compressor is None
        self.types: dict[str, tuple[str, str]] = {
            get_topic(cls): (name, aggregate_type_of(cls))
            for cls, name in PUBLIC_TYPES.items()
            if getattr(cls, "class_version", 1) == 1  # an upcaster needs the mapper
        }

    def envelope(self, notification: Notification) -> dict[str, Any] | None:
        if notification.topic in _NOT_PUBLISHED:
            return None
        return self.read(notification)[0]

    def read(self, notification: Notification) -> tuple[dict[str, Any] | None, str]:
        """The public envelope (None for an unpublished event) and the event's chain hash."""
        known = self.types.get(notification.topic)
        if not self.direct:
            event = self.mapper.to_domain_event(notification)
            return envelope_of(event, notification.id), getattr(event, "chain", "")
        state = _loads(notification.state)
        chain = state.get("chain", "")
        if notification.topic in _NOT_PUBLISHED:
            return None, chain
        if known is None:
            return envelope_of(self.mapper.to_domain_event(notification), notification.id), chain
        return self._from_state(notification, known, state), chain

    @staticmethod
    def _from_state(
        notification: Notification, known: tuple[str, str], state: dict[str, Any]
    ) -> dict[str, Any]:
        type_name, aggregate_type = known
        aggregate_id = notification.originator_id
        if not isinstance(aggregate_id, UUID):
            aggregate_id = UUID(str(aggregate_id))
        return {
            "id": _event_id(aggregate_id, notification.originator_version),
            "type": type_name,
            "schema_version": SCHEMA_VERSION,
            "aggregate_type": aggregate_type,
            "aggregate_id": _dashed(aggregate_id.hex),
            "aggregate_version": notification.originator_version,
            "position": notification.id,
            "occurred_at": _plain(state["timestamp"]),
            "actor": state["actor"],
            "correlation_id": state["correlation_id"],
            "data": {k: _plain(v) for k, v in state.items() if k not in _ENVELOPE_KEYS},
        }
