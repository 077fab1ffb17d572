"""Envelopes read straight from stored rows equal those made through the domain's classes."""

from __future__ import annotations

from domain.published import envelope_of
from store.envelopes import EnvelopeReader, row_of
from tests.builders import every_kind_of_event


def test_direct_envelopes_equal_the_mappers_for_every_event_type(app, ryan, maria, clock):
    every_kind_of_event(app, ryan, maria, clock)
    reader = EnvelopeReader(app.mapper)
    notifications = app.recorder.select_notifications(start=1, limit=10_000)
    published = 0
    for notification in notifications:
        slow = envelope_of(app.mapper.to_domain_event(notification), notification.id)
        position, aggregate_id, version, topic, state = row_of(notification)
        assert reader.envelope((position, aggregate_id, version, topic, state)) == slow
        # as the SQL stores read it: the aggregate id as text (SQLite: without dashes)
        for text in (str(aggregate_id), aggregate_id.hex):
            assert reader.envelope((position, text, version, topic, state)) == slow
        published += slow is not None
    assert published > 20
    assert len(notifications) > published  # the workloads' events are stored, not published


def test_event_ids_are_the_uuid5_of_aggregate_and_version():
    from uuid import uuid4, uuid5

    from store.envelopes import _event_id

    for version in (1, 9, 10, 12345):
        aggregate = uuid4()
        assert _event_id(aggregate.hex, version) == str(uuid5(aggregate, str(version)))


def test_a_stored_integer_beyond_64_bits_still_decodes():
    from store.envelopes import _loads

    assert _loads(b'{"n": 1180591620717411303424}') == {"n": 2**70}
