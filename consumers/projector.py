"""Projectors: consume Kafka and fold into a read model, offsets committed with the rows.

Each projection has its own consumer group. A polled batch is folded and written together with
the next offset of every partition it read, in one database transaction; on (re)assignment the
consumer seeks to the offsets stored there, not to Kafka's. A crash between the database commit
and anything else re-reads nothing twice; a crash before it re-reads the batch, whose effect
was rolled back. Redelivered events are dropped by their aggregate version. The effect on the
read model is exactly once.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from kafka import ConsumerRebalanceListener, TopicPartition

from consumers.logs import log_event
from projections.base import Projection, fold
from projections.sql_store import SqlDocStore

log = logging.getLogger("salesledger.projector")


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
    """Folds one projection from Kafka; run_once applies one polled batch."""

    def __init__(
        self,
        projection: Projection,
        store: SqlDocStore,
        consumer: Any,
        topics: list[str],
        poll_ms: int = 500,
    ) -> None:
        self.projection = projection
        self.store = store
        self.consumer = consumer
        self.poll_ms = poll_ms
        consumer.subscribe(topics, listener=SeekToStoredOffsets(self))

    @property
    def name(self) -> str:
        return self.projection.name

    def seek_to_stored(self, partitions: Any) -> None:
        stored = self.store.positions(self.name)
        for partition in partitions:
            offset = stored.get(source_of(partition))
            if offset is None:
                self.consumer.seek_to_beginning(partition)
            else:
                self.consumer.seek(partition, offset)
        log_event(log, "projector.assigned", projection=self.name, partitions=len(partitions))

    def run_once(self) -> int:
        """Polls once and applies what came; returns how many messages were read."""
        batches = self.consumer.poll(timeout_ms=self.poll_ms)
        if not batches:
            return 0
        read = applied = lag = 0
        try:
            with self.store.batch(self.name) as state:
                for partition, messages in batches.items():
                    for message in messages:
                        applied += fold(self.projection, state, message.value)
                    read += len(messages)
                    next_offset = messages[-1].offset + 1
                    state.advance({source_of(partition): next_offset})
                    # The high watermark came with the fetch: lag without another request.
                    lag += (self.consumer.highwater(partition) or next_offset) - next_offset
        except Exception:
            # The batch rolled back, but the consumer has moved past it: rewind, or it is lost.
            self.seek_to_stored(self.consumer.assignment())
            raise
        log_event(log, "projector.batch", projection=self.name, read=read, applied=applied, lag=lag)
        return read

    def lag(self) -> dict[str, int]:
        """Per partition: Kafka's end offset minus the offset stored with the read model."""
        assigned = list(self.consumer.assignment())
        if not assigned:
            return {}
        ends = self.consumer.end_offsets(assigned)
        stored = self.store.positions(self.name)
        return {source_of(p): ends[p] - stored.get(source_of(p), 0) for p in assigned}

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
