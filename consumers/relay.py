"""The relay: publishes the event store's notification log to Kafka, outbox style.

It reads the log in order from the position it recorded, produces each public event (contact
details masked) to `<prefix>.<aggregate>.v1` keyed by aggregate id, waits until Kafka has
acknowledged every message, and only then records the new position. A crash anywhere means
re-sending, never skipping: delivery is at least once, and consumers drop duplicates by
aggregate id and version.

Gaps. A notification id can be missing from the log for two reasons: the transaction that
took it rolled back (a version conflict, for one), and it will never appear; or, where inserts
are not serialised by the recorder's table lock (eventsourcing's database-functions mode),
the transaction is still in flight and will commit after higher ids are visible. The relay
cannot tell the two apart from the log alone, so like Marten's high-water mark it stops at a
gap and waits for it to fill, up to `gap_timeout` seconds, before passing it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from consumers.kafka_io import encode, headers_of, topic_for
from consumers.logs import log_event
from consumers.positions import PositionStore
from domain.application import SalesPipeline
from store.log_reader import LogReader

RELAY = "relay"
Envelope = dict[str, Any]
log = logging.getLogger("salesledger.relay")


# Named tuples rather than dataclasses: batches read ahead come back from a child process
# pickled, and a tuple is the cheapest thing to unpickle.
class Message(NamedTuple):
    """A Kafka message, ready to send."""

    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


class Outgoing(NamedTuple):
    """One log entry as the relay handles it: its position, its event's chain hash (what the
    audit seal links) and its message (None for internal events, which are never published)."""

    position: int
    chain: str
    message: Message | None


class LogMessages:
    """`read(after, limit)`: the log entries after a position, each event published (contact
    details masked) and encoded as its Kafka message."""

    def __init__(
        self, app: SalesPipeline, publish: Callable[[Envelope], Envelope], topic_prefix: str
    ) -> None:
        self.log = LogReader(app)
        self.publish = publish
        self.topic_prefix = topic_prefix

    def __call__(self, after: int, limit: int) -> list[Outgoing]:
        return [
            Outgoing(e.position, e.chain, None if e.envelope is None else self._message(e.envelope))
            for e in self.log.entries(after, limit)
        ]

    def _message(self, envelope: Envelope) -> Message:
        envelope = self.publish(envelope)
        return Message(
            topic_for(self.topic_prefix, envelope["aggregate_type"]),
            envelope["aggregate_id"].encode(),
            encode(envelope),
            headers_of(envelope),
        )


def relay_lag(app: SalesPipeline, positions: PositionStore) -> int:
    """How many log positions the relay has still to send to Kafka."""
    return app.last_position() - positions.get(RELAY)


class Relay:
    """Moves the store's log to Kafka; run_once sends one batch and returns how many entries."""

    batch_size_default = 2000

    def __init__(
        self,
        app: SalesPipeline,
        positions: PositionStore,
        producer_factory: Callable[[], Any],
        read: Callable[[int, int], Sequence[Outgoing]],
        *,
        batch_size: int = batch_size_default,
        gap_timeout: float = 2.0,
        linger: float = 0.0,
        ack_timeout: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
        after_batch: Callable[[int, list[Outgoing]], object] | None = None,
    ) -> None:
        self.app = app
        self.positions = positions
        self.producer_factory = producer_factory
        self._producer: Any = None
        # the log as messages: LogMessages, in this process or read ahead in a child
        self.read = read
        self.batch_size = batch_size
        self.gap_timeout = gap_timeout
        self.linger = linger
        self.ack_timeout = ack_timeout
        self.monotonic = monotonic
        self.after_batch = after_batch
        self._gap_first_seen: dict[int, float] = {}

    def run_once(self) -> int:
        start = self.positions.get(RELAY)
        entries = self._passable(start, self.read(start, self.batch_size))
        if not entries:
            return 0
        try:
            sent = self._send(entries)
        except Exception:
            # A producer that failed may hold expired or half-sent batches and a stale
            # idempotence state: drop it. The batch is re-sent from the recorded position.
            self._discard_producer()
            raise
        self.positions.set(RELAY, entries[-1].position)
        if self.after_batch is not None:
            self.after_batch(start, entries)  # e.g. seal the audit chain this far
        log_event(
            log,
            "relay.batch",
            sent=sent,
            position=entries[-1].position,
            lag=self.app.last_position() - entries[-1].position,
        )
        return len(entries)

    def _send(self, entries: list[Outgoing]) -> int:
        """Produces the entries' public events and waits until Kafka acknowledged them all."""
        producer = self.producer
        pending = [
            producer.send(m.topic, key=m.key, value=m.value, headers=m.headers)
            for m in (e.message for e in entries)
            if m is not None
        ]
        producer.flush(timeout=self.ack_timeout)
        for future in pending:
            future.get(timeout=self.ack_timeout)  # raises if Kafka did not acknowledge
        return len(pending)

    @property
    def producer(self) -> Any:
        if self._producer is None:
            self._producer = self.producer_factory()
        return self._producer

    def _discard_producer(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            try:
                producer.close(timeout=0)
            except Exception as error:  # noqa: BLE001 - it is being thrown away anyway
                log_event(log, "relay.producer_close_failed", error=repr(error))

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()
            self._producer = None
        close_reader = getattr(self.read, "close", None)  # a reader in a child process
        if close_reader is not None:
            close_reader()

    def lag(self) -> int:
        return relay_lag(self.app, self.positions)

    def run_forever(self, stop: threading.Event, idle_seconds: float = 0.2) -> None:
        """Relays until `stop` is set, backing off while Kafka or the database is away."""
        backoff = idle_seconds
        while not stop.is_set():
            try:
                moved = self.run_once()
                backoff = idle_seconds
            except Exception as error:  # noqa: BLE001 - any outage: wait, then re-send
                log_event(log, "relay.retry", error=repr(error), backoff_s=backoff)
                moved = 0
                backoff = min(backoff * 2, 5.0)
            if not moved:
                stop.wait(backoff)
            elif moved < self.batch_size:
                # Caught up: let the next events gather for a moment rather than send every
                # few of them with a round of database reads and writes (and a flush) each.
                stop.wait(self.linger)

    def _passable(self, start: int, entries: Sequence[Outgoing]) -> list[Outgoing]:
        """The entries up to the first gap that may still fill."""
        passable: list[Outgoing] = []
        expected = start + 1
        now = self.monotonic()
        for entry in entries:
            if entry.position != expected:
                first_seen = self._gap_first_seen.setdefault(expected, now)
                if now - first_seen < self.gap_timeout:
                    break
                del self._gap_first_seen[expected]
                log_event(log, "relay.gap_passed", missing_from=expected, to=entry.position - 1)
            passable.append(entry)
            expected = entry.position + 1
        return passable
