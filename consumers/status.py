"""How far each Kafka projector is behind, read without joining its consumer group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kafka import KafkaConsumer

from consumers.kafka_io import partitions_of

if TYPE_CHECKING:
    from api.bootstrap import Container


def kafka_lag(container: Container) -> dict[str, dict[str, int]]:
    """Per projection and partition: Kafka's end offset minus the offset stored with its rows."""
    settings = container.settings
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    try:
        partitions = partitions_of(consumer, settings.topic_prefix)
        ends = consumer.end_offsets(partitions) if partitions else {}
    finally:
        consumer.close()
    lag = {}
    for projection in container.projections:
        stored = container.docs.positions(projection.name)
        lag[projection.name] = {
            f"{p.topic}:{p.partition}": ends[p] - stored.get(f"{p.topic}:{p.partition}", 0)
            for p in partitions
        }
    return lag
