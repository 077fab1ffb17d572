"""Kafka as an adapter: topic names, the producer and consumer settings, topic creation."""

from __future__ import annotations

import contextlib
import functools
import time
from typing import Any

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.partitioner.default import DefaultPartitioner, murmur2
from kafka.serializer import Deserializer

from domain.published import AGGREGATE_TYPES


def topic_for(prefix: str, aggregate_type: str) -> str:
    """`<prefix>.<aggregate>.v1`: one topic per aggregate type and contract version."""
    return f"{prefix}.{aggregate_type}.v1"


def all_topics(prefix: str) -> list[str]:
    return [topic_for(prefix, t) for t in AGGREGATE_TYPES.values()]


def partitions_of(consumer: KafkaConsumer, prefix: str) -> list[TopicPartition]:
    """Every partition of the prefix's topics, as the broker's metadata lists them."""
    return [
        TopicPartition(topic, p)
        for topic in all_topics(prefix)
        for p in sorted(consumer.partitions_for_topic(topic) or ())
    ]


def ensure_topics(bootstrap: str, prefix: str, partitions: int) -> None:
    """Creates the topics if missing, with the configured partition count."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="salesledger-admin")
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(topic, num_partitions=partitions, replication_factor=1)
            for topic in all_topics(prefix)
            if topic not in existing
        ]
        if missing:
            # Another process may create them first; either way they exist afterwards.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(missing)
            _wait_until_visible(admin, all_topics(prefix))
    finally:
        admin.close()


def delete_topics(bootstrap: str, prefix: str | tuple[str, ...]) -> int:
    """Deletes every topic whose name starts with `prefix` (or one of several: a test run's or
    a benchmark's own prefixes; each partition costs the broker files and memory for as long
    as it exists); returns how many."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="salesledger-admin")
    try:
        doomed = [t for t in admin.list_topics() if t.startswith(prefix)]
        if doomed:
            admin.delete_topics(doomed)
        return len(doomed)
    finally:
        admin.close()


def _wait_until_visible(admin: KafkaAdminClient, topics: list[str], seconds: float = 30) -> None:
    """Topic creation completes asynchronously: a consumer subscribing before the topic is in
    the metadata would not see it until its next metadata refresh, minutes later."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        described = admin.describe_topics(topics)
        if all(t.get("error_code", 0) == 0 and t.get("partitions") for t in described):
            return
        time.sleep(0.1)
    raise TimeoutError(f"topics {', '.join(topics)} did not become visible in {seconds} s")


@functools.lru_cache(maxsize=16_384)  # the aggregates active lately: a few MB at most
def _key_hash(key: bytes) -> int:
    return murmur2(key) & 0x7FFFFFFF


class KeyHashCachingPartitioner(DefaultPartitioner):
    """Kafka's default partitioning (murmur2 of the key, as the Java client does), with each
    key's hash remembered: kafka-python computes murmur2 in pure Python, the costliest single
    step of a send, and an aggregate's events come close together in the log."""

    def partition(self, topic, key, serialized_key, value, serialized_value, cluster):
        partitions = cluster.partitions_for_topic(topic)
        if serialized_key is None or not partitions:
            return super().partition(topic, key, serialized_key, value, serialized_value, cluster)
        return sorted(partitions)[_key_hash(serialized_key) % len(partitions)]


def make_producer(bootstrap: str, **overrides: Any) -> KafkaProducer:
    # acks=all with the idempotent producer: a retried send never duplicates or reorders
    # within a partition, so each aggregate's events arrive in version order.
    settings: dict[str, Any] = dict(
        bootstrap_servers=bootstrap,
        client_id="salesledger-relay",
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        batch_size=256 * 1024,
        compression_type=None,
        partitioner=KeyHashCachingPartitioner(),
        max_in_flight_requests_per_connection=5,
        retries=2**31 - 1,
        # Notice an outage within seconds: the relay then starts over with a fresh producer.
        request_timeout_ms=10_000,
        delivery_timeout_ms=20_000,
        max_block_ms=10_000,
        reconnect_backoff_ms=100,
        reconnect_backoff_max_ms=5_000,
    )
    settings.update(overrides)
    return KafkaProducer(**settings)


def make_consumer(bootstrap: str, group_id: str, **overrides: Any) -> KafkaConsumer:
    settings: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "group_id": group_id,
        "client_id": group_id,
        "enable_auto_commit": False,  # offsets live in the read model's database
        "auto_offset_reset": "earliest",
        "value_deserializer": JsonDeserializer(),
        "max_poll_records": 5000,
        # A read model should show a command quickly: don't let an idle fetch wait long.
        "fetch_max_wait_ms": 100,
        "metadata_max_age_ms": 30_000,
        "reconnect_backoff_ms": 100,
        "reconnect_backoff_max_ms": 5_000,
    }
    settings.update(overrides)
    return KafkaConsumer(**settings)


class JsonDeserializer(Deserializer):
    def deserialize(self, topic: str, headers: Any, data: bytes | None) -> Any:
        return None if data is None else orjson.loads(data)


def encode(envelope: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, keys in the envelope's order (orjson: the relay encodes every event)."""
    return orjson.dumps(envelope)


CLOUDEVENTS_SOURCE = "/salesledger"  # a URI-reference, with the aggregate type after it


def headers_of(envelope: dict[str, Any]) -> list[tuple[str, bytes]]:
    """The message's headers: the envelope's type and schema version, and the CloudEvents
    attributes of its Kafka binary mode (the envelope is the event's data, its JSON the value),
    so a consumer with a CloudEvents SDK reads the message as a CloudEvent."""
    type_name, version = envelope["type"], str(envelope["schema_version"])
    return [
        ("type", type_name.encode()),
        ("schema_version", version.encode()),
        ("ce_specversion", b"1.0"),
        ("ce_id", envelope["id"].encode()),
        ("ce_source", f"{CLOUDEVENTS_SOURCE}/{envelope['aggregate_type']}".encode()),
        ("ce_type", f"dev.salesledger.{type_name}.v{version}".encode()),
        ("ce_time", envelope["occurred_at"].encode()),
        ("ce_subject", envelope["aggregate_id"].encode()),
        ("content-type", b"application/json"),
    ]
