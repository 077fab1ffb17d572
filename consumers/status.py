"""How far the consumers are behind the store: the relay by log position, each Kafka projector
by partition offsets (read without joining its consumer group)."""

from __future__ import annotations

from kafka import KafkaConsumer

from consumers.kafka_io import partitions_of
from consumers.positions import PositionStore
from consumers.relay import relay_lag
from domain.application import SalesPipeline
from projections.base import Projection
from projections.sql_store import SqlDocStore


def kafka_lag(
    bootstrap: str, topic_prefix: str, docs: SqlDocStore, projections: list[Projection]
) -> dict[str, dict[str, int]]:
    """Per projection and partition: Kafka's end offset minus the offset stored with its rows."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = partitions_of(consumer, topic_prefix)
        ends = consumer.end_offsets(partitions) if partitions else {}
    finally:
        consumer.close()
    lag = {}
    for projection in projections:
        stored = docs.positions(projection.name)
        lag[projection.name] = {
            f"{p.topic}:{p.partition}": ends[p] - stored.get(f"{p.topic}:{p.partition}", 0)
            for p in partitions
        }
    return lag


def kafka_path_behind(
    app: SalesPipeline,
    positions: PositionStore,
    kafka_projections: dict[str, dict[str, int]],
) -> str:
    """What the relay and the Kafka projectors still have to move, as a person reads it
    ('' when everything has caught up)."""
    relay = relay_lag(app, positions)
    parts = [f"relay {relay}"] if relay else []
    for name, partitions in kafka_projections.items():
        if sum(partitions.values()):
            parts.append(f"{name} {sum(partitions.values())}")
    return ", ".join(parts)
