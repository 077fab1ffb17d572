"""Rebuild and verify in production shape: PostgreSQL read models built through Kafka."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from api.rebuild_jobs import rebuild_in_jobs
from domain.context import CommandContext
from projections.rebuild import first_difference
from projections.replay import fold_log
from tests.conftest import capture
from tests.integration.conftest import Pipeline


def test_live_read_models_built_through_kafka_verify_and_survive_a_rebuild(production, clock):
    pipeline = Pipeline(production)
    app = production.app
    for n in range(20):
        ctx = CommandContext(f"rep{n}", clock.advance(hours=1))
        lead = capture(app, ctx, company=f"Company {n}")
        app.claim_lead(ctx, lead)
        if n % 2:
            opp = app.convert_lead(
                ctx, lead, name="d", amount=Decimal(n), expected_close=date(2027, 1, 1)
            ).opportunity_id
            app.move_opportunity(ctx, opp, stage="needs")
    pipeline.drain()
    assert production.lag_of(production.projections) == ""
    rebuilt = fold_log(production.projections, production.public_envelopes())
    for projection in production.projections:
        live = production.docs.all_docs(projection.name)
        assert first_difference(projection.name, live, rebuilt.states[projection.name].docs) is None

    key = next(k for k in production.docs.all_docs("rep_activity") if k.startswith("week:"))
    with production.db.transaction():
        production.db.execute(
            "UPDATE projection_docs SET doc = ? WHERE projection = 'rep_activity' AND key = ?",
            (json.dumps({"tampered": True}), key),
        )
    live = production.docs.all_docs("rep_activity")
    difference = first_difference("rep_activity", live, rebuilt.states["rep_activity"].docs)
    assert difference is not None and difference.key == key

    # as `salesledger rebuild --jobs 2` runs it: two processes, two groups of read models
    rebuild_in_jobs(production, production.projections, None, jobs=2)
    capture(app, CommandContext("late", clock.advance(hours=1)), company="After the rebuild")
    pipeline.drain()
    after = fold_log(production.projections, production.public_envelopes())
    for projection in production.projections:
        live = production.docs.all_docs(projection.name)
        assert live == after.states[projection.name].docs
    pipeline.close()
