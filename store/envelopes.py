"""Envelopes straight from stored rows, for the processes that read the whole log.

The library's mapper turns each row into a domain-event object, which `envelope_of` then turns
back into plain JSON values; for the relay, the projections and rebuilds that is most of their
work. Here the stored JSON is decoded once and its typed values (eventsourcing's transcodings)
are turned into the envelope's plain values directly. The result is the same envelope, which
a test checks event type by event type. Rows that need the mapper (an event class with an
upcaster, a cipher, compression) still go through it.

A row is a plain tuple (position, aggregate id, version, topic, state): the stores can hand
them over as they read them, without building a notification object and a UUID per row.
"""

from __future__ import annotations

import functools
import hashlib
import json
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, Notification
from eventsourcing.utils import get_topic

from domain.published import PUBLIC_TYPES, SCHEMA_VERSION, aggregate_type_of, envelope_of
from domain.round_robin import RoundRobin
from domain.workloads import RepWorkload

_NOT_PUBLISHED = {
    get_topic(cls)
    for cls in (RepWorkload.Started, RepWorkload.LeadTaken, RepWorkload.LeadGivenUp,
                RoundRobin.Started, RoundRobin.Turned)
}  # fmt: skip
_ENVELOPE_KEYS = ("timestamp", "originator_topic", "actor", "correlation_id", "chain")


def _decimal_number(text: str) -> int | float:
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def _dashed(hex32: str) -> str:
    """A UUID's hex as its usual text, without building a UUID object (rebuilds do this a
    million times)."""
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


def _event_id(aggregate_hex: str, version: int) -> str:
    """uuid5(aggregate_id, str(version)) as text, as `domain.published.event_id` gives it."""
    name = bytes.fromhex(aggregate_hex) + str(version).encode()
    digest = bytearray(hashlib.sha1(name).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    return _dashed(digest.hex())


# An aggregate's events, and the events naming it, come close together in the log.
_dashed_id = functools.lru_cache(maxsize=16_384)(_dashed)

_PLAIN = {
    "decimal_str": _decimal_number,
    "uuid_hex": lambda text: _dashed_id(text) if len(text) == 32 else str(UUID(text)),
    "datetime_iso": lambda text: text,
    "date_iso": lambda text: text,
}


def _plain(value: Any) -> Any:
    kind = type(value)  # JSON gives exact types: no subclasses to allow for
    if kind is dict:
        if "_type_" in value and "_data_" in value and len(value) == 2:
            return _PLAIN[value["_type_"]](value["_data_"])
        return {k: _plain(v) for k, v in value.items()}
    if kind is list:
        return [_plain(v) for v in value]
    return value


def _loads(state: bytes) -> dict[str, Any]:
    try:
        return orjson.loads(state)
    except orjson.JSONDecodeError:  # orjson refuses integers beyond 64 bits; json does not
        return json.loads(state)


# (position, aggregate id, version, topic, stored state); the id as a UUID or as text, with
# or without dashes (SQLite keeps a UUID's 32 hex digits, PostgreSQL gives its usual text)
LogRow = tuple[int, "UUID | str", int, str, bytes]


def row_of(notification: Notification) -> LogRow:
    return (
        notification.id,
        notification.originator_id,
        notification.originator_version,
        notification.topic,
        notification.state,
    )


class EnvelopeReader:
    """Turns stored rows into public envelopes (None for unpublished events)."""

    def __init__(self, mapper: Mapper) -> None:
        self.mapper = mapper
        self.direct = mapper.cipher is None and mapper.compressor is None
        self.types: dict[str, tuple[str, str]] = {
            get_topic(cls): (name, aggregate_type_of(cls))
            for cls, name in PUBLIC_TYPES.items()
            if getattr(cls, "class_version", 1) == 1  # an upcaster needs the mapper
        }

    def envelope(self, row: LogRow) -> dict[str, Any] | None:
        if row[3] in _NOT_PUBLISHED:
            return None
        return self.read(row)[0]

    def read(self, row: LogRow) -> tuple[dict[str, Any] | None, str]:
        """The public envelope (None for an unpublished event) and the event's chain hash."""
        position, _, _, topic, stored = row
        if not self.direct:
            event = self.mapper.to_domain_event(_notification(row))
            return envelope_of(event, position), getattr(event, "chain", "")
        state = _loads(stored)
        chain = state.get("chain", "")
        if topic in _NOT_PUBLISHED:
            return None, chain
        known = self.types.get(topic)
        if known is None:
            return envelope_of(self.mapper.to_domain_event(_notification(row)), position), chain
        return _from_state(row, known, state), chain


def _notification(row: LogRow) -> Notification:
    position, aggregate_id, version, topic, state = row
    if isinstance(aggregate_id, str):
        aggregate_id = UUID(aggregate_id)
    return Notification(
        id=position,
        originator_id=aggregate_id,
        originator_version=version,
        topic=topic,
        state=state,
    )


def _from_state(row: LogRow, known: tuple[str, str], state: dict[str, Any]) -> dict[str, Any]:
    position, aggregate_id, version, _, _ = row
    type_name, aggregate_type = known
    aggregate_id = str(aggregate_id)
    if len(aggregate_id) == 32:
        aggregate_hex, aggregate_id = aggregate_id, _dashed_id(aggregate_id)
    else:
        aggregate_hex = aggregate_id.replace("-", "")
    return {
        "id": _event_id(aggregate_hex, version),
        "type": type_name,
        "schema_version": SCHEMA_VERSION,
        "aggregate_type": aggregate_type,
        "aggregate_id": aggregate_id,
        "aggregate_version": version,
        "position": position,
        "occurred_at": _plain(state["timestamp"]),
        "actor": state["actor"],
        "correlation_id": state["correlation_id"],
        "data": {k: _plain(v) for k, v in state.items() if k not in _ENVELOPE_KEYS},
    }
