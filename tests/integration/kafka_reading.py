"""Reading back everything a test's topics hold, from the first offset to the end."""

from __future__ import annotations

import json
from typing import Any

from kafka import KafkaConsumer

from consumers.kafka_io import partitions_of


def read_all(bootstrap: str, prefix: str) -> list[Any]:
    """Every record on the prefix's topics, in partition order."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    try:
        partitions = partitions_of(consumer, prefix)
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records: list[Any] = []
        for _ in range(1000):
            if all(consumer.position(p) >= ends[p] for p in partitions):
                return records
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
        raise AssertionError("could not read the topics to their end")
    finally:
        consumer.close()


def envelopes(records: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in records]
