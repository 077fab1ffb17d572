"""A projector left without partitions while its topics have some asks its group to
rebalance (kafka-python can end a join with an assignment made before it knew the topics'
partitions, and not join again)."""

from __future__ import annotations

from consumers.projector import REJOIN_EVERY_S, STRANDED_S, KafkaProjector


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class StrandedConsumer:
    """A consumer the group gave nothing, whose topics have partitions (or none yet)."""

    def __init__(self, partitions: set[int]) -> None:
        self.partitions = partitions
        self.assigned: set = set()
        self.joins = 0
        self.metadata_asked = 0

    def subscribe(self, topics, listener) -> None:
        self.joins += 1

    def unsubscribe(self) -> None:
        pass

    def poll(self, timeout_ms: int) -> dict:
        return {}

    def assignment(self) -> set:
        return self.assigned

    def partitions_for_topic(self, topic: str) -> set[int]:
        self.metadata_asked += 1
        return self.partitions


def projector_on(consumer: StrandedConsumer, clock: Clock) -> KafkaProjector:
    return KafkaProjector([], None, consumer, ["p.lead.v1", "p.opportunity.v1"], clock=clock)  # type: ignore[arg-type]


def polled_for(projector: KafkaProjector, clock: Clock, seconds: float) -> None:
    end = clock.now + seconds
    while clock.now < end:
        projector.run_once()
        clock.now += 0.5


def test_a_projector_without_partitions_rejoins_its_group_after_ten_seconds():
    clock, consumer = Clock(), StrandedConsumer({0, 1, 2, 3})
    projector = projector_on(consumer, clock)
    polled_for(projector, clock, STRANDED_S - 1)
    assert consumer.joins == 1  # the first subscription only
    polled_for(projector, clock, 2)
    assert consumer.joins == 2


def test_it_rejoins_at_most_every_five_minutes_when_still_given_nothing():
    clock, consumer = Clock(), StrandedConsumer({0})
    projector = projector_on(consumer, clock)
    polled_for(projector, clock, STRANDED_S + 1)
    polled_for(projector, clock, REJOIN_EVERY_S - 5)
    assert consumer.joins == 2
    polled_for(projector, clock, 10)
    assert consumer.joins == 3


def test_a_projector_with_partitions_or_with_topics_not_yet_published_stays_in_its_group():
    clock, assigned = Clock(), StrandedConsumer({0})
    assigned.assigned = {("p.lead.v1", 0)}
    unpublished = StrandedConsumer(set())
    for consumer in (assigned, unpublished):
        polled_for(projector_on(consumer, clock), clock, STRANDED_S * 3)
        assert consumer.joins == 1


def test_topics_not_yet_published_are_looked_up_every_ten_seconds_not_at_every_poll():
    clock, consumer = Clock(), StrandedConsumer(set())
    polled_for(projector_on(consumer, clock), clock, STRANDED_S * 3 + 1)  # 62 polls
    assert consumer.metadata_asked == 2 * 3  # two topics, at 10, 20 and 30 s
    assert consumer.joins == 1
