"""A projector resumes from the offsets stored with the read model's rows, whatever its
consumer group has committed."""

from __future__ import annotations

from api.bootstrap import projector_of, relay_of
from consumers.kafka_io import all_topics, make_consumer
from consumers.projector import KafkaProjector
from consumers.projector import drain as drain_consumer
from projections.replay import fold_until
from tests.builders import play_leads


def some_activity(app, rep) -> None:
    play_leads(app, rep.clock, 5, rep=lambda n: rep.name, hours_apart=0)


def drain(projector, after_each=None) -> None:
    # 3,600 polls of 50 ms bound a hung test only: a new group's first assignment can take
    # tens of seconds on a broker that holds every topic this test session made, and a join
    # left without partitions is retried after 10 s (consumers.projector.STRANDED_S)
    projector.poll_ms = 50
    drain_consumer(projector, max_polls=3600, after_poll=after_each)


def test_a_projector_of_another_group_resumes_from_the_read_models_offsets(production, ryan, rita):
    app = production.app
    relay = relay_of(production)
    some_activity(app, ryan)
    while relay.run_once():
        pass
    first = projector_of(production, ["ledger"])
    drain(first)
    first.close()
    before = production.docs.positions("ledger")
    assert before

    some_activity(app, rita)
    while relay.run_once():
        pass
    settings = production.settings
    # a new consumer group starts from the topics' beginning: what the ledger holds already is
    # skipped by its stored offsets, and the rest applied once
    everything = KafkaProjector(  # as projector_of(production) builds it, in batches of 7
        production.projections,
        production.docs,
        make_consumer(
            settings.kafka_bootstrap, f"{settings.topic_prefix}-small-batches", max_poll_records=7
        ),
        all_topics(settings.topic_prefix),
    )
    seen = [before]

    def never_goes_back() -> None:
        now = production.docs.positions("ledger")
        assert all(now[source] >= offset for source, offset in seen[-1].items())
        seen.append(now)

    drain(everything, after_each=never_goes_back)
    everything.close()
    relay.close()

    fresh = fold_until(production.projections, production.public_envelopes())
    for projection in production.projections:
        assert production.docs.all_docs(projection.name) == fresh[projection.name].docs
    assert production.docs.positions("ledger") != before  # rita's activity was applied
