"""Export and import of the event log as JSON Lines: the backup path.

Each line is the envelope of DESIGN.md §4 plus what a faithful restore needs: the event class
(`topic`) and its hash `chain`. Data is exported in full (contact details unmasked) and
internal bookkeeping events are included, so keep exports where the store itself is kept.
An import appends the events in order; every aggregate's versions must continue from what
the store already holds, so a full export restores into an empty store and incremental
exports (`--after`) restore on top of it, in order.
"""

from __future__ import annotations

import base64
import functools
import json
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any
from uuid import UUID

from eventsourcing.domain import CanInitAggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from domain.application import SalesPipeline
from domain.json_values import json_ready
from domain.published import PUBLIC_TYPES, aggregate_type_of, event_id
from store.log_reader import LogReader

BASE_FIELDS = ("originator_id", "originator_version", "timestamp", "originator_topic")
META_FIELDS = ("actor", "correlation_id", "chain")
WRITE_BATCH = 5000


def export_lines(
    app: SalesPipeline,
    *,
    after: int = 0,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[str]:
    """One JSON line per stored event after `after`, optionally within [since, until]."""
    for notification in LogReader(app).notifications(after, batch_size=5000):
        event = app.mapper.to_domain_event(notification)
        if (since and event.timestamp < since) or (until and event.timestamp > until):
            continue
        record = _record(event, notification.topic, notification.id)
        if record["aggregate_type"] == "lead" and _carries_contact(record):
            key, erased = app.vault.exported_key(event.originator_id)
            record |= {"contact_erased": True} if erased else {"contact_key": key}
        yield json.dumps(record, ensure_ascii=False)


def _carries_contact(record: dict[str, Any]) -> bool:
    """Whether an exported lead event holds contact details (sealed or, from before sealing
    began, in clear) or is the erasure itself: its line then carries the lead's key, or says
    the lead was erased, so that a restore opens (or keeps closed) what it holds."""
    data = record["data"]
    return record["type"] in ("LeadCaptured", "LeadContactErased") or any(
        path.startswith("contact.") for path in data.get("changes") or {}
    )


def _record(event: Any, topic: str, position: int) -> dict[str, Any]:
    event_class = type(event)
    fields = vars(event)
    return {
        "id": str(event_id(event.originator_id, event.originator_version)),
        "type": PUBLIC_TYPES.get(event_class, event_class.__qualname__.replace(".", "")),
        "schema_version": 1,
        "aggregate_type": _aggregate_type(event_class),
        "aggregate_id": str(event.originator_id),
        "aggregate_version": event.originator_version,
        "position": position,
        "occurred_at": event.timestamp.isoformat(),
        "actor": fields.get("actor"),
        "correlation_id": fields.get("correlation_id"),
        "topic": topic,
        "chain": fields.get("chain"),
        "data": json_ready(
            {k: v for k, v in fields.items() if k not in BASE_FIELDS and k not in META_FIELDS}
        ),
    }


def _aggregate_type(event_class: type) -> str:
    try:
        return aggregate_type_of(event_class)
    except LookupError:
        return "rep_workload"


@dataclass(frozen=True)
class Imported:
    events: int
    last_position: int


def import_lines(app: SalesPipeline, lines: Iterable[str]) -> Imported:
    """Appends the exported events to the store, in order. The whole file is read and checked
    first, so a refused file writes nothing."""
    versions: dict[UUID, int] = {}
    stored: list[StoredEvent] = []
    keys: dict[UUID, tuple[str | None, bool, str]] = {}
    # Into an empty store every aggregate starts at version 0: no need to ask for each one.
    empty_store = app.last_position() == 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_float=Decimal)
            event = _event_from(record)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ImportRefused(f"line {number}: not an exported event ({error})") from None
        _check_continues(app, versions, event, number, empty_store)
        stored.append(app.mapper.to_stored_event(event))
        _keep_key(keys, record, number)
    # the keys before the events they open (an erasure wins over a key seen earlier)
    for lead_id, (key, erased, at) in keys.items():
        app.vault.restore(lead_id, key, erased, at)
    for start in range(0, len(stored), WRITE_BATCH):
        app.recorder.insert_events(stored[start : start + WRITE_BATCH])
    return Imported(len(stored), app.last_position())


def _keep_key(
    keys: dict[UUID, tuple[str | None, bool, str]], record: dict[str, Any], number: int
) -> None:
    key, erased = record.get("contact_key"), record.get("contact_erased") is True
    if key is None and not erased:
        return
    if key is not None and not _is_key(key):
        raise ImportRefused(f"line {number}: contact_key is not a key (32 bytes, base64)")
    lead_id = UUID(record["aggregate_id"])
    known = keys.get(lead_id)
    erased = erased or (known is not None and known[1])
    keys[lead_id] = (None if erased else key, erased, record["occurred_at"])


def _is_key(text: Any) -> bool:
    try:
        return isinstance(text, str) and len(base64.b64decode(text, validate=True)) == 32
    except ValueError:
        return False


def _check_continues(
    app: SalesPipeline, versions: dict[UUID, int], event: Any, number: int, empty_store: bool
) -> None:
    aggregate_id = event.originator_id
    if aggregate_id not in versions:
        stored = [] if empty_store else app.recorder.select_events(aggregate_id, desc=True, limit=1)
        versions[aggregate_id] = stored[0].originator_version if stored else 0
    expected = versions[aggregate_id] + 1
    if event.originator_version != expected:
        raise ImportRefused(
            f"line {number}: aggregate {aggregate_id} is at version {expected - 1} in this "
            f"store, so version {event.originator_version} cannot follow it (import exports "
            "in order, into the store they continue)"
        )
    versions[aggregate_id] = expected


def _event_from(record: dict[str, Any]) -> Any:
    event_class = resolve_topic(record["topic"])
    hints = _field_types(event_class)
    fields = {name: _typed(value, hints.get(name)) for name, value in record["data"].items()}
    fields.update(
        originator_id=UUID(record["aggregate_id"]),
        originator_version=int(record["aggregate_version"]),
        timestamp=datetime.fromisoformat(record["occurred_at"]),
        actor=record["actor"],
        correlation_id=record["correlation_id"],
        chain=record["chain"],
    )
    if issubclass(event_class, CanInitAggregate):
        fields["originator_topic"] = get_topic(_aggregate_class_of(event_class))
    return event_class(**fields)


@functools.cache
def _field_types(event_class: type) -> dict[str, Any]:
    """The event class's annotations, resolved once per class (resolving is costly)."""
    return typing.get_type_hints(event_class)


@functools.cache
def _aggregate_class_of(event_class: type) -> type:
    outer = event_class.__qualname__.rsplit(".", 1)[0]
    return resolve_topic(f"{event_class.__module__}:{outer}")


def _typed(value: Any, hint: Any) -> Any:
    """A JSON value as the event field's declared type (Decimal, date, datetime, UUID)."""
    if value is None or hint is None:
        return value
    union = typing.get_origin(hint) in (typing.Union, _UnionType)
    options = typing.get_args(hint) if union else (hint,)
    for option in options:
        if option is Decimal:
            return Decimal(str(value))
        if option is datetime:
            return datetime.fromisoformat(value)
        if option is date:
            return date.fromisoformat(value)
        if option is UUID:
            return UUID(value)
    return value  # decimals inside dicts and lists were parsed as Decimal already


_UnionType = type(int | None)


def write_export(lines: Iterable[str], out: IO[str]) -> int:
    count = 0
    for line in lines:
        out.write(line + "\n")
        count += 1
    return count


class ImportRefused(ValueError):
    """The file is not an export, or does not continue this store."""
