"""The SQLite read-model store: idempotent folds, positions written with rows, atomic batches."""

from datetime import date
from decimal import Decimal

import pytest

from consumers.in_process import STORE_SOURCE, StoreFollower
from projections.base import fold
from projections.catalog import all_projections
from projections.database import Database
from projections.funnel import FunnelProjection
from projections.replay import fold_until
from projections.sql_store import SqlDocStore
from tests.conftest import capture


@pytest.fixture
def store(tmp_path):
    docs = SqlDocStore(Database.sqlite(str(tmp_path / "rm.sqlite")))
    yield docs
    docs.db.close()


def history(app, ryan):
    lead = capture(app, ryan())
    app.claim_lead(ryan(), lead)
    opp = app.open_opportunity(
        ryan(), name="x", customer="y", amount=Decimal(10), expected_close=date(2027, 1, 1)
    ).id
    app.move_opportunity(ryan(), opp, stage="needs")
    return list(app.all_envelopes())


def test_applying_the_same_event_twice_changes_nothing(store, app, ryan):
    envelopes = history(app, ryan)
    projection = FunnelProjection()
    with store.batch("funnel") as state:
        for envelope in envelopes:
            fold(projection, state, envelope)
    before = store.all_docs("funnel")
    with store.batch("funnel") as state:
        applied = [fold(projection, state, e) for e in envelopes]
    assert applied == [False] * len(envelopes)
    assert store.all_docs("funnel") == before


def test_a_failed_batch_leaves_neither_rows_nor_position(store, app, ryan):
    envelopes = history(app, ryan)
    with pytest.raises(RuntimeError), store.batch("funnel") as state:
        fold(FunnelProjection(), state, envelopes[0])
        state.advance({STORE_SOURCE: envelopes[0]["position"]})
        raise RuntimeError("crash mid-batch")
    assert store.all_docs("funnel") == {}
    assert store.position("funnel", STORE_SOURCE) == 0


def test_follower_builds_the_same_read_models_as_a_fresh_fold(store, app, ryan):
    envelopes = history(app, ryan)
    projections = all_projections()
    follower = StoreFollower(app, store, projections, publish=lambda e: e, batch_size=2)
    follower.catch_up()
    fresh = fold_until(projections, envelopes)
    for projection in projections:
        assert store.all_docs(projection.name) == fresh[projection.name].docs
    assert follower.lag() == {p.name: 0 for p in projections}


def test_follower_resumes_from_its_stored_position(store, app, ryan):
    history(app, ryan)
    projections = all_projections()
    StoreFollower(app, store, projections, publish=lambda e: e).catch_up()
    capture(app, ryan(), company="Later Inc")
    restarted = StoreFollower(app, store, projections, publish=lambda e: e)
    assert restarted.run_once() == 1
    assert restarted.run_once() == 0
    assert store.reader("funnel").get("lead:" + str(list(app.all_envelopes())[-1]["aggregate_id"]))
