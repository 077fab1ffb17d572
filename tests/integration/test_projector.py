"""One Kafka consumer feeds several read models, each at its own stored offsets."""

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
    projector.poll_ms = 50
    drain_consumer(projector, max_polls=400, after_poll=after_each)


def test_read_models_at_different_offsets_each_apply_every_event_once(production, ryan, rita):
    app = production.app
    relay = relay_of(production)
    some_activity(app, ryan)
    while relay.run_once():
        pass
    one_model = projector_of(production, ["stage_conversion"])
    drain(one_model)
    one_model.close()
    one_model_before = production.docs.positions("stage_conversion")
    assert one_model_before and not production.docs.positions("ledger")

    some_activity(app, rita)
    while relay.run_once():
        pass
    settings = production.settings
    everything = KafkaProjector(  # as projector_of(production) builds it, in batches of 7
        production.projections,
        production.docs,
        make_consumer(settings.kafka_bootstrap, "small-batches", max_poll_records=7),
        all_topics(settings.topic_prefix),
    )
    one_model_seen = [one_model_before]

    def one_model_never_goes_back() -> None:
        now = production.docs.positions("stage_conversion")
        assert all(now[source] >= offset for source, offset in one_model_seen[-1].items())
        one_model_seen.append(now)

    drain(everything, after_each=one_model_never_goes_back)
    everything.close()
    relay.close()

    fresh = fold_until(production.projections, production.public_envelopes())
    for projection in production.projections:
        assert production.docs.all_docs(projection.name) == fresh[projection.name].docs
    offsets = {p.name: production.docs.positions(p.name) for p in production.projections}
    assert all(positions == offsets["stage_conversion"] for positions in offsets.values())
