"""The one reader of the store's notification log, for everything that follows it.

The relay, the in-process follower, rebuilds, the audit trail and exports all read the log in
order from a position. SalesLedger's recorders (`store.recorders`) hand over plain row tuples
(`select_log_rows`); the library's in-memory recorder, used by unit tests, only gives
notifications, which are turned into the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from store.envelopes import EnvelopeReader, LogRow, row_of

Envelope = dict[str, Any]
# Which rows of the log a reader wants, decided before a row is decoded.
RowFilter = Callable[[LogRow], bool]


@dataclass(frozen=True)
class LogEntry:
    """One notification of the store's log: its position, public envelope (if published) and
    the event's chain hash (what the audit trail's log chain links)."""

    position: int
    envelope: Envelope | None
    chain: str = ""


@dataclass(frozen=True)
class EnvelopeBatch:
    """Public envelopes read from the notification log, and the last position read."""

    envelopes: list[Envelope]
    last_position: int


@runtime_checkable
class LogRowRecorder(Protocol):
    def select_log_rows(self, after: int, limit: int) -> Sequence[LogRow]: ...


class LogReader:
    """Reads an application's log after a position: as rows, entries, envelopes or
    notifications, in notification order."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.recorder = app.recorder
        self._envelopes = EnvelopeReader(app.mapper)

    def rows(self, after: int, limit: int) -> Sequence[LogRow]:
        if isinstance(self.recorder, LogRowRecorder):
            return self.recorder.select_log_rows(after, limit)
        return [row_of(n) for n in self._notifications(after, limit)]

    def entries(self, after: int, limit: int = 1000) -> list[LogEntry]:
        """The notifications stored after a position, each with its public envelope (None for
        internal bookkeeping events, which are never published) and its chain hash."""
        return [LogEntry(row[0], *self._envelopes.read(row)) for row in self.rows(after, limit)]

    def envelopes(
        self, after: int, limit: int = 1000, keep: RowFilter | None = None
    ) -> EnvelopeBatch:
        """Public envelopes of the events stored after a position (unmasked); with `keep`,
        only of the rows it keeps (the others are not even decoded)."""
        rows = self.rows(after, limit)
        kept = rows if keep is None else [row for row in rows if keep(row)]
        envelopes = [e for e in map(self._envelopes.envelope, kept) if e is not None]
        return EnvelopeBatch(envelopes, rows[-1][0] if rows else after)

    def all_envelopes(
        self, after: int = 0, batch_size: int = 1000, keep: RowFilter | None = None
    ) -> Iterator[Envelope]:
        """The public envelopes after a position, to the end of the log, in order (with
        `keep`, of the rows it keeps)."""
        position = after
        while True:
            batch = self.envelopes(position, batch_size, keep)
            yield from batch.envelopes
            if batch.last_position == position:
                return
            position = batch.last_position

    def envelopes_of_command(
        self,
        after: int,
        correlation_id: str,
        actor: str,
        decided_by: datetime,
        batch_size: int = 1000,
    ) -> list[Envelope]:
        """The public envelopes a command stored after position `after`, found by its
        correlation id and actor (the first run of them: one save stores its events together);
        looks no further than the first event decided after
        `decided_by` (a command's events are decided when it starts, and become visible in
        commit order, so none of its events can come after that one)."""
        found: list[Envelope] = []
        position = after
        while True:
            batch = self.envelopes(position, batch_size)
            for envelope in batch.envelopes:
                if datetime.fromisoformat(envelope["occurred_at"]) > decided_by:
                    return found
                if envelope["correlation_id"] == correlation_id and envelope["actor"] == actor:
                    found.append(envelope)
                elif found:  # one save is one run of positions: the command's run has ended
                    return found
            if batch.last_position == position:
                return found
            position = batch.last_position

    def notifications(
        self, after: int = 0, up_to: int | None = None, batch_size: int = 2000
    ) -> Iterator[Notification]:
        """The library's notifications after a position (to `up_to`), for readers that decode
        whole domain events (audit, export)."""
        position = after
        while batch := self._notifications(position, batch_size, up_to):
            yield from batch
            position = batch[-1].id

    def last_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def _notifications(
        self, after: int, limit: int, up_to: int | None = None
    ) -> Sequence[Notification]:
        return self.recorder.select_notifications(
            start=after, limit=limit, stop=up_to, inclusive_of_start=False
        )


def all_envelopes(app: Application, after: int = 0) -> Iterator[Envelope]:
    """Every public envelope of the application's log after a position (unmasked)."""
    return LogReader(app).all_envelopes(after)


class PublishedLog:
    """`published_log(after=0)`: the public envelopes after a position, in log order, as they
    leave the store (through `publish`, which masks contact details)."""

    def __init__(self, app: Application, publish: Callable[[Envelope], Envelope]) -> None:
        self.reader = LogReader(app)
        self.publish = publish

    def __call__(self, after: int = 0, keep: RowFilter | None = None) -> Iterator[Envelope]:
        return map(self.publish, self.reader.all_envelopes(after, keep=keep))
