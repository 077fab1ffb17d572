"""Projectors: consume Kafka and fold into read models, offsets committed with the rows.

One consumer (one consumer group) feeds the read models a `salesledger project` process was
given — all of them by default, so each message is fetched and decoded once — and each read
model keeps its own offsets. A polled batch is folded into every read model and written
together with each one's next offset of every partition it read, in one database transaction;
on (re)assignment the consumer seeks to the lowest offset stored for the partition, and each
read model skips what it has already applied. A crash before the commit re-reads the batch,
whose effect was rolled back. Redelivered events are also dropped by their aggregate version.
The effect on each read model is exactly once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kafka import ConsumerRebalanceListener, TopicPartition

from consumers.logs import log_event
from projections.base import Projection, fold_all
from projections.sql_store import SqlDocStore

log = logging.getLogger("salesledger.projector")
# kafka-python (3.0.12) can end a group join with an assignment made while the consumer knew no
# partition of its topics ("No partition metadata for topic …" for each, 0 partitions) and then
# never join again: the projector would sit idle while its topics fill (seen in `make test`,
# three minutes without a partition, on fresh servers). A projector without partitions while
# its topics have some asks its group to rebalance, after STRANDED_S and then at most every
# REJOIN_EVERY_S — as often as a group with more projectors than partitions rebalances.
STRANDED_S = 10.0
REJOIN_EVERY_S = 300.0


def group_of(topic_prefix: str, projections: list[Projection]) -> str:
    """The consumer group of a set of read models: processes given the same names share it."""
    return f"{topic_prefix}.projector." + "+".join(sorted(p.name for p in projections))


def source_of(partition: TopicPartition) -> str:
    return f"{partition.topic}:{partition.partition}"


class SeekToStoredOffsets(ConsumerRebalanceListener):
    """On assignment, start each partition where the read model's database says."""

    def __init__(self, projector: KafkaProjector) -> None:
        self.projector = projector

    def on_partitions_revoked(self, revoked: Any) -> None:
        pass

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.projector.seek_to_stored(assigned)


class KafkaProjector:
    """Folds some projections from one consumer; run_once applies one polled batch to all."""

    def __init__(
        self,
        projections: list[Projection],
        store: SqlDocStore,
        consumer: Any,
        topics: list[str],
        poll_ms: int = 500,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.projections = projections
        self.store = store
        self.consumer = consumer
        self.topics = topics
        self.poll_ms = poll_ms
        self._clock = clock
        # Per read model, the next offset to apply of each partition, as stored with its rows.
        self._applied: dict[str, dict[str, int]] = {}
        self._unassigned_since: float | None = None
        self._rejoined_at: float | None = None
        self._subscribe()

    @property
    def name(self) -> str:
        return "+".join(p.name for p in self.projections)

    def seek_to_stored(self, partitions: Any) -> None:
        self._applied = {p.name: self.store.positions(p.name) for p in self.projections}
        for partition in partitions:
            offsets = [stored.get(source_of(partition)) for stored in self._applied.values()]
            if None in offsets:
                self.consumer.seek_to_beginning(partition)
            else:
                self.consumer.seek(partition, min(offsets))
        log_event(log, "projector.assigned", projection=self.name, partitions=len(partitions))

    def run_once(self) -> int:
        """Polls once and applies what came; returns how many messages were read."""
        batches = self.consumer.poll(timeout_ms=self.poll_ms)
        if not batches:
            self._rejoin_if_stranded()
            return 0
        reached = {source_of(p): messages[-1].offset + 1 for p, messages in batches.items()}
        applied = 0
        try:
            names = [p.name for p in self.projections]
            with self.store.batches(names, partitions=sorted(reached)) as states:
                for projection in self.projections:
                    fresh = self._not_applied(projection, batches)
                    applied += fold_all(projection, states[projection.name], fresh)
                    states[projection.name].advance(self._moved_on(projection, reached))
        except Exception:
            # The batch rolled back, but the consumer has moved past it: rewind, or it is lost.
            self.seek_to_stored(self.consumer.assignment())
            raise
        for projection in self.projections:
            self._applied.setdefault(projection.name, {}).update(
                self._moved_on(projection, reached)
            )
        read = sum(len(messages) for messages in batches.values())
        # The high watermarks came with the fetch: lag without another request.
        lags = {
            f"{p.topic}:{p.partition}": (self.consumer.highwater(p) or reached[source_of(p)])
            - reached[source_of(p)]
            for p in batches
        }
        offsets = {f"{p.topic}:{p.partition}": reached[source_of(p)] for p in batches}
        log_event(log, "projector.batch", projection=self.name, read=read, applied=applied,
                  lag=sum(lags.values()), offsets=offsets, lag_by_partition=lags)  # fmt: skip
        return read

    def _rejoin_if_stranded(self) -> None:
        """Asks the group to rebalance when this projector has had no partition for
        STRANDED_S while its topics have some (see STRANDED_S), at most every REJOIN_EVERY_S."""
        now = self._clock()
        if self.consumer.assignment():
            self._unassigned_since = None
            return
        if self._unassigned_since is None:
            self._unassigned_since = now
        waited = now - self._unassigned_since
        if waited < STRANDED_S or (
            self._rejoined_at is not None and now - self._rejoined_at < REJOIN_EVERY_S
        ):
            return
        if not any(self.consumer.partitions_for_topic(topic) for topic in self.topics):
            # nothing to be given yet (the relay has not published): look again in STRANDED_S,
            # not at every poll (an unknown topic makes the consumer fetch every topic's metadata)
            self._unassigned_since = now
            return
        log_event(log, "projector.rejoin", projection=self.name, unassigned_s=round(waited, 1))
        self._rejoined_at = now
        self.consumer.unsubscribe()
        self._subscribe()

    def _subscribe(self) -> None:
        self.consumer.subscribe(self.topics, listener=SeekToStoredOffsets(self))

    def _moved_on(self, projection: Projection, reached: dict[str, int]) -> dict[str, int]:
        """The offsets this read model has applied up to, never behind what it had already
        (after a rewind to a slower read model's offset, a faster one stays where it was)."""
        applied = self._applied.get(projection.name, {})
        return {source: max(offset, applied.get(source, 0)) for source, offset in reached.items()}

    def _not_applied(self, projection: Projection, batches: dict) -> list[dict[str, Any]]:
        """The polled events this read model has not applied yet, by its stored offsets."""
        applied = self._applied.get(projection.name, {})
        return [
            message.value
            for partition, messages in batches.items()
            for message in messages
            if message.offset >= applied.get(source_of(partition), 0)
        ]

    def lag(self) -> dict[str, int]:
        """Per partition: Kafka's end offset minus the lowest offset stored with a read model."""
        assigned = list(self.consumer.assignment())
        if not assigned:
            return {}
        ends = self.consumer.end_offsets(assigned)
        stored = [self.store.positions(p.name) for p in self.projections]
        return {
            source_of(p): ends[p] - min(s.get(source_of(p), 0) for s in stored) for p in assigned
        }

    def run_forever(self, stop: threading.Event) -> None:
        backoff = 0.2
        while not stop.is_set():
            try:
                self.run_once()
                backoff = 0.2
            except Exception as error:  # noqa: BLE001 - database or broker away: retry
                log_event(log, "projector.retry", projection=self.name, error=repr(error))
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def close(self) -> None:
        self.consumer.close(autocommit=False)


def drain(
    projector: KafkaProjector,
    max_polls: int | None = None,
    after_poll: Callable[[], object] | None = None,
) -> None:
    """Polls until no lag is left: one pass more after the last message, and the consumer
    assigned its partitions. With `max_polls`, gives up after that many (a test's bound);
    `after_poll` is called after each poll."""
    polls = 0
    while True:
        read = projector.run_once()
        if after_poll is not None:
            after_poll()
        settled = not read and projector.consumer.assignment()
        if settled and sum(projector.lag().values()) == 0:
            return
        polls += 1
        if max_polls is not None and polls >= max_polls:
            raise TimeoutError(f"the projector did not catch up with Kafka in {polls} polls")
