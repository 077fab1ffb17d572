"""The relay's partitioner puts every key where Kafka's default partitioner does."""

from __future__ import annotations

import uuid

from kafka.partitioner.default import DefaultPartitioner

from consumers.kafka_io import KeyHashCachingPartitioner


class Partitions:
    """The two questions a partitioner asks of the producer's cluster metadata."""

    def __init__(self, count: int) -> None:
        self.count = count

    def topics(self) -> set[str]:
        return {"t"}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(self.count))

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(self.count))


def test_each_key_lands_on_the_partition_kafkas_default_partitioner_chooses():
    ours, default = KeyHashCachingPartitioner(), DefaultPartitioner()
    keys = [str(uuid.uuid4()).encode() for _ in range(500)] + [b"", b"a", b"abc", b"abcd"]
    for count in (1, 3, 6, 7):
        cluster = Partitions(count)
        for key in keys * 2:  # the second time from the remembered hash
            assert ours.partition("t", key, key, b"v", b"v", cluster) == default.partition(
                "t", key, key, b"v", b"v", cluster
            )


def test_a_message_without_a_key_still_gets_a_partition():
    assert KeyHashCachingPartitioner().partition("t", None, None, b"v", b"v", Partitions(3)) in {
        0,
        1,
        2,
    }
