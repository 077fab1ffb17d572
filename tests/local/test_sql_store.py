"""The SQLite read-model store: idempotent folds, positions written with rows, atomic batches."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from consumers.in_process import STORE_SOURCE, StoreFollower
from projections.base import fold, fold_all
from projections.catalog import all_projections
from projections.ledger import LedgerProjection
from projections.replay import fold_until
from projections.sql_store import SqlDocStore
from projections.tables import MemoryTables
from store.database import Database
from store.log_reader import all_envelopes
from tests.builders import capture


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
    return list(all_envelopes(app))


def test_applying_the_same_event_twice_changes_nothing(store, app, ryan):
    envelopes = history(app, ryan)
    projection = LedgerProjection()
    with store.batch("ledger") as state:
        for envelope in envelopes:
            fold(projection, state, envelope)
    before = store.all_docs("ledger")
    with store.batch("ledger") as state:
        applied = [fold(projection, state, e) for e in envelopes]
    assert applied == [False] * len(envelopes)
    assert store.all_docs("ledger") == before


def test_a_failed_batch_leaves_neither_rows_nor_position(store, app, ryan):
    envelopes = history(app, ryan)
    with pytest.raises(RuntimeError), store.batch("ledger") as state:
        fold(LedgerProjection(), state, envelopes[0])
        state.advance({STORE_SOURCE: envelopes[0]["position"]})
        raise RuntimeError("crash mid-batch")
    assert store.all_docs("ledger") == {}
    assert store.position("ledger", STORE_SOURCE) == 0


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
    later = str(list(all_envelopes(app))[-1]["aggregate_id"])
    assert store.all_docs("ledger")[f"rm_lead:{later}"]["company"] == "Later Inc"


def test_a_batch_loads_the_rows_it_will_read_in_one_query_per_table(store, app, ryan, rita):
    for rep in (ryan, rita, ryan):
        history(app, rep)
    envelopes = list(all_envelopes(app))
    first, rest = envelopes[:4], envelopes[4:]
    for projection in all_projections():
        with store.batch(projection.name) as state:
            fold_all(projection, state, first)
    selects: list[str] = []
    store.db._connection.set_trace_callback(
        lambda sql: selects.append(sql) if sql.startswith("SELECT") and "FROM rm_" in sql else None
    )
    for projection in all_projections():
        with store.batch(projection.name) as state:
            fold_all(projection, state, rest)
    store.db._connection.set_trace_callback(None)
    # one load per table read (current leads, opportunities), however many rows it touched
    assert len(selects) <= 2
    fresh = fold_until(all_projections(), envelopes)
    for projection in all_projections():
        assert store.all_docs(projection.name) == fresh[projection.name].docs


def test_the_ledger_names_the_rows_a_batch_will_read_from_storage(app, ryan):
    """Every row the fold asks for before putting it is among the keys it names beforehand."""
    envelopes = history(app, ryan)
    projection = LedgerProjection()

    class Watching(MemoryTables):
        def __init__(self) -> None:
            super().__init__(projection.tables)
            self.from_storage: set = set()

        def get(self, table, key):
            if key not in self.rows[table.name]:
                self.from_storage.add((table, key))
            return super().get(table, key)

    watching = Watching()
    for envelope in envelopes:
        fold(projection, watching, envelope)
    assert watching.from_storage <= projection.keys_read(envelopes)
    assert watching.from_storage  # each aggregate's current row, first asked for
