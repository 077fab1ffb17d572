"""Rebuild and verify in production shape: PostgreSQL read models built through Kafka."""

from __future__ import annotations

from api.bootstrap import rebuild_read_models
from api.cli.read_models import behind_store
from domain.context import CommandContext
from projections.rebuild import first_difference
from projections.replay import fold_log
from tests.builders import capture, play_leads
from tests.integration.conftest import Pipeline


def test_live_read_models_built_through_kafka_verify_and_survive_a_rebuild(production, clock):
    pipeline = Pipeline(production)
    app = production.app
    play_leads(app, clock, 20, converted=lambda n: n % 2 == 1, stage="needs")
    pipeline.drain()
    assert behind_store(production, production.projections) == ""
    rebuilt = fold_log(production.projections, production.public_envelopes())
    for projection in production.projections:
        live = production.docs.all_docs(projection.name)
        assert first_difference(projection.name, live, rebuilt.states[projection.name].docs) is None

    key = next(k for k in production.docs.all_docs("ledger") if k.startswith("rm_lead:"))
    with production.db.transaction():
        production.db.execute(
            "UPDATE rm_lead SET company = ? WHERE lead_id = ?",
            ("tampered", key.removeprefix("rm_lead:")),
        )
    live = production.docs.all_docs("ledger")
    difference = first_difference("ledger", live, rebuilt.states["ledger"].docs)
    assert difference is not None and difference.key == key

    # as `salesledger rebuild --jobs 2` runs it: two processes, each folding half of the aggregates
    rebuild_read_models(production, production.projections, None, jobs=2)
    capture(app, CommandContext("late", clock.advance(hours=1)), company="After the rebuild")
    pipeline.drain()
    after = fold_log(production.projections, production.public_envelopes())
    for projection in production.projections:
        live = production.docs.all_docs(projection.name)
        assert live == after.states[projection.name].docs
    pipeline.close()
