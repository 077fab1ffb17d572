"""The relay against real PostgreSQL and Kafka: nothing lost, order kept, no PII on the wire."""

from __future__ import annotations

import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from functools import partial

import pytest
from cloudevents.core.bindings import kafka as kafka_binding
from eventsourcing.persistence import IntegrityError
from kafka.errors import KafkaError

from api.bootstrap import build, relay_of
from consumers.kafka_io import make_producer
from consumers.relay import RELAY, LogMessages, Relay
from domain.context import CommandContext
from domain.errors import NotAllowedNow
from store.log_reader import all_envelopes
from tests.builders import capture
from tests.integration.kafka_reading import envelopes, read_all

WRITERS = 8
COMMANDS_PER_WRITER = 25


def write_concurrently(app, clock) -> None:
    """Many writers at once: captures, claims, opportunities and contested stage moves."""
    shared = app.open_opportunity(
        CommandContext("maria", clock.now()),
        name="Contested",
        customer="C",
        amount=Decimal(1),
        expected_close=date(2027, 1, 1),
    ).id

    def writer(n: int) -> None:
        rep = f"rep{n}"
        for i in range(COMMANDS_PER_WRITER):
            ctx = CommandContext(rep, clock.now())
            try:
                if i % 5 == 4:
                    stage = ("needs", "proposal", "negotiation")[(n + i) % 3]
                    app.move_opportunity(ctx, shared, stage=stage)  # conflicts roll back
                elif i % 2:
                    app.claim_lead(ctx, capture(app, ctx))
                else:
                    capture(app, ctx, company=f"Company {n}-{i}")
            except NotAllowedNow:
                pass  # a conflict or rule: nothing stored, a notification id may be burnt

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(writer, range(WRITERS)))


@pytest.mark.parametrize(
    ("db_functions", "read_ahead"),
    [(False, False), (True, False), (False, True)],
    ids=["table-lock", "db-functions", "read-ahead"],
)
def test_every_event_reaches_kafka_while_many_writers_commit_concurrently(
    production_settings, clock, kafka, topic_prefix, db_functions, read_ahead
):
    settings = production_settings.model_copy(update={"store_db_functions": db_functions})
    container = build(settings, clock=clock)
    relay = relay_of(container, read_ahead=read_ahead)
    if read_ahead:
        relay.batch_size = 7  # full batches, so the child reads ahead, meeting the gaps too
    stop = threading.Event()
    relaying = threading.Thread(target=relay.run_forever, args=(stop, 0.01))
    relaying.start()
    try:
        write_concurrently(container.app, clock)
    finally:
        stop.set()
        relaying.join()  # one relay at a time: two would both send the same batch
        while relay.lag():
            relay.run_once()
    stored = [container.publish(e) for e in all_envelopes(container.app)]
    published = envelopes(read_all(kafka, topic_prefix))
    assert {(e["aggregate_id"], e["aggregate_version"]) for e in published} == {
        (e["aggregate_id"], e["aggregate_version"]) for e in stored
    }
    assert len(stored) > WRITERS * COMMANDS_PER_WRITER // 2
    # Within each aggregate, Kafka holds the events in version order.
    versions = defaultdict(list)
    for envelope in published:
        versions[envelope["aggregate_id"]].append(envelope["aggregate_version"])
    assert all(v == sorted(v) for v in versions.values())
    relay.close()
    container.close()


def test_published_messages_follow_the_contract_and_carry_no_contact_details(
    production, kafka, topic_prefix, ryan, maria
):
    contact = {"name": "Li Lei", "title": "Chief Buyer", "phone": "13800001234",
               "email": "li@acme.cn"}  # fmt: skip
    lead = capture(production.app, ryan(), contact=contact)
    production.app.correct_lead_details(ryan(), lead, {"contact.email": "lei@acme.cn"})
    production.app.erase_contact(maria(), lead)
    relay = relay_of(production)
    relay.run_once()
    relay.close()
    records = read_all(kafka, topic_prefix)
    assert [dict(r.headers)["type"] for r in records] == [
        b"LeadCaptured",
        b"LeadDetailsCorrected",
        b"LeadContactErased",
    ]
    record = records[0]
    assert record.topic == f"{topic_prefix}.lead.v1"
    assert record.key == str(lead).encode()
    assert {k: dict(record.headers)[k] for k in ("type", "schema_version")} == {
        "type": b"LeadCaptured",
        "schema_version": b"1",
    }
    # the CloudEvents SDK reads the message as it came off Kafka (binary mode)
    cloud = kafka_binding.from_binary_event(
        kafka_binding.KafkaMessage(dict(record.headers), record.key, record.value)
    )
    envelope = envelopes(records)[0]
    assert (cloud.get_id(), cloud.get_subject(), cloud.get_type()) == (
        envelope["id"],
        str(lead),
        "dev.salesledger.LeadCaptured.v1",
    )
    assert cloud.get_source() == "/salesledger/lead" and cloud.get_data() == envelope
    for secret in (b"13800001234", b"li@acme.cn", b"lei@acme.cn", b"Li Lei", b"Chief Buyer"):
        assert all(secret not in r.value for r in records)
    assert envelopes(records)[2]["data"] == {"fields": ["name", "title", "phone", "email"]}
    # published after the erasure, the details are gone even masked; the stored events are
    # sealed (the PostgreSQL store never held them in clear either)
    assert envelopes(records)[0]["data"]["contact"]["phone_hash"] is None
    stored = production.app.recorder.select_events(lead, limit=1)[0].state
    assert b"Li Lei" not in stored and b"sealed:v1:" in stored


def test_a_published_contact_is_masked_with_hashes_to_join_on(
    production, kafka, topic_prefix, ryan
):
    capture(production.app, ryan())
    relay = relay_of(production)
    relay.run_once()
    relay.close()
    records = read_all(kafka, topic_prefix)
    for secret in (b"13800001234", b"li@acme.cn", b"Li Lei"):
        assert secret not in records[0].value
    contact = envelopes(records)[0]["data"]["contact"]
    assert contact["phone"] == "***1234"
    assert len(contact["phone_hash"]) == 64


def test_position_is_recorded_only_after_kafka_acknowledged(production, kafka, ryan):
    capture(production.app, ryan())
    producers = []

    def producer():
        producers.append(make_producer(kafka, max_block_ms=2_000))
        return producers[-1]

    # Topics that were never created (the broker does not auto-create): Kafka refuses them.
    relay = Relay(
        production.app,
        production.positions,
        producer,
        LogMessages(
            production.app,
            production.publish,
            "never-created-" + production.settings.topic_prefix,
        ),
        ack_timeout=5,
    )
    with pytest.raises(KafkaError):
        relay.run_once()
    assert production.positions.get(RELAY) == 0
    assert relay._producer is None  # the failed producer was discarded; the next is fresh


def test_a_gap_left_by_a_rolled_back_insert_is_waited_for_then_passed(
    production, kafka, topic_prefix, ryan
):
    app = production.app
    opp = app.open_opportunity(
        ryan(), name="x", customer="y", amount=Decimal(1), expected_close=date(2027, 1, 1)
    ).id
    first, second = app.get_opportunity(opp), app.get_opportunity(opp)
    first.move_to_stage(ryan(), app.stages_for("general"), stage="needs")
    app.save(first)
    second.move_to_stage(ryan(), app.stages_for("general"), stage="proposal")
    with pytest.raises(IntegrityError):
        app.save(second)  # rolled back, but its notification id is gone for good
    capture(app, ryan())
    positions = [e["position"] for e in all_envelopes(app)]
    assert positions[-1] - positions[-2] == 2  # the gap

    now = [0.0]
    relay = Relay(
        app,
        production.positions,
        partial(make_producer, kafka),
        LogMessages(app, production.publish, topic_prefix),
        gap_timeout=5,
        monotonic=lambda: now[0],
    )
    relay_of(production).close()  # creates the topics
    assert relay.run_once() == 2  # up to the gap
    assert relay.run_once() == 0  # waiting: the gap might still fill
    now[0] = 5.1
    assert relay.run_once() == 1  # timed out: passed
    assert relay.lag() == 0
    published = envelopes(read_all(kafka, topic_prefix))
    assert [e["position"] for e in published if e["aggregate_type"] == "lead"] == positions[-1:]
    assert len(published) == 3
    relay.close()
