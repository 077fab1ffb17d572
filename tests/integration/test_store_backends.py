"""The same behaviour of the event store and read-model storage on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from threading import Barrier
from uuid import UUID

import psycopg2
import pytest

from api.settings import Settings
from consumers.in_process import StoreFollower
from domain.application import SalesPipeline
from domain.context import CommandContext
from domain.errors import NotAllowedNow
from projections.catalog import all_projections
from projections.replay import fold_until
from projections.sql_store import SqlDocStore
from store.database import Database
from store.event_store import open_pipeline
from store.log_reader import LogReader, all_envelopes
from tests.builders import capture, open_deal


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request, tmp_path) -> Settings:
    if request.param == "sqlite":
        return Settings(data_dir=tmp_path, database_url=None)
    return Settings(data_dir=tmp_path, database_url=request.getfixturevalue("database_url"))


@pytest.fixture
def backend(settings, tmp_path) -> Iterator[tuple[SalesPipeline, SqlDocStore]]:
    """An application and a read-model store on one backend."""
    if settings.embedded:
        db = Database.sqlite(str(tmp_path / "rm.sqlite"))
    else:
        db = Database.postgres(partial(psycopg2.connect, settings.database_url))
    app = open_pipeline(settings.event_store_env(), claim_limit=3)
    store = SqlDocStore(db)
    yield app, store
    app.close()
    db.close()


@pytest.fixture
def second_process(backend, settings) -> Iterator[SalesPipeline]:
    """Another application on the same store, with its own aggregate cache (as a second API
    process would have)."""
    other = open_pipeline(settings.event_store_env(), claim_limit=3)
    yield other
    other.close()


def test_log_rows_are_the_stored_notifications_as_plain_tuples(backend, ryan):
    app, _ = backend
    for n in range(3):
        lead = capture(app, ryan(), company=f"Company {n}")
        app.claim_lead(ryan(), lead)
    notifications = app.recorder.select_notifications(start=3, limit=3)
    rows = app.recorder.select_log_rows(2, 3)
    assert [(position, UUID(text), *rest) for position, text, *rest in rows] == [
        (n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in notifications
    ]
    assert [e["position"] for e in LogReader(app).envelopes(0, 100).envelopes][:2] == [1, 2]


def test_events_come_back_in_the_order_they_were_saved(backend, ryan):
    app, _ = backend
    lead = capture(app, ryan())
    app.claim_lead(ryan(), lead)
    app.release_lead(ryan(), lead, reason="x")
    envelopes = [e for e in all_envelopes(app) if e["aggregate_id"] == str(lead)]
    assert [e["type"] for e in envelopes] == ["LeadCaptured", "LeadClaimed", "LeadReleased"]
    positions = [e["position"] for e in envelopes]
    assert positions == sorted(positions)


def test_decimal_money_and_dates_round_trip_exactly(backend, ryan):
    app, _ = backend
    opp = app.open_opportunity(
        ryan(),
        name="x",
        customer="y",
        amount=Decimal("1234567.89"),
        expected_close=date(2027, 2, 28),
    ).id
    loaded = app.get_opportunity(opp)
    assert loaded.amount == Decimal("1234567.89")
    assert loaded.expected_close == date(2027, 2, 28)


def test_state_as_of_a_time_is_rebuilt_from_the_stored_events(backend, ryan, clock):
    app, _ = backend
    lead = capture(app, ryan())
    before = clock.now()
    clock.advance(hours=1)
    app.claim_lead(ryan(), lead)
    assert app.get_lead(lead, as_of=before).holder is None
    assert app.get_lead(lead, as_of=before + timedelta(hours=2)).holder == "ryan"


def test_concurrent_writers_on_one_version_let_exactly_one_win(backend, ryan, clock):
    app, _ = backend
    opp = app.open_opportunity(
        ryan(), name="x", customer="y", amount=Decimal(1), expected_close=date(2027, 1, 1)
    ).id
    writers = 6
    start = Barrier(writers)

    def move(stage: str) -> bool:
        start.wait()
        try:
            app.move_opportunity(
                CommandContext("ryan", clock.now()), opp, stage=stage, expected_version=1
            )
            return True
        except NotAllowedNow:
            return False

    with ThreadPoolExecutor(writers) as pool:
        wins = list(pool.map(move, ["needs", "proposal", "negotiation"] * 2))
    assert wins.count(True) == 1
    assert app.get_opportunity(opp).version == 2


def test_claim_limit_holds_when_one_rep_claims_many_leads_at_once(backend, ryan, clock):
    app, _ = backend
    leads = [capture(app, ryan()) for _ in range(6)]
    start = Barrier(len(leads))

    def claim(lead) -> bool:
        start.wait()
        for _ in range(1000):  # a workload conflict is worth retrying; a reached limit is not
            try:
                app.claim_lead(CommandContext("ryan", clock.now()), lead)
                return True
            except NotAllowedNow as error:
                if "limit" in str(error):
                    return False
        return False

    with ThreadPoolExecutor(len(leads)) as pool:
        claimed = list(pool.map(claim, leads))
    assert claimed.count(True) == 3
    assert sum(app.get_lead(lead).holder == "ryan" for lead in leads) == 3


def test_read_models_follow_the_store_and_equal_a_fresh_fold(backend, ryan, rita):
    app, store = backend
    projections = all_projections()
    follower = StoreFollower(app, store, projections, publish=lambda e: e, batch_size=3)
    lead = capture(app, ryan())
    app.claim_lead(ryan(), lead)
    follower.run_once()
    opp = app.convert_lead(
        ryan(), lead, name="d", amount=Decimal(5), expected_close=date(2027, 1, 1)
    ).opportunity_id
    app.move_opportunity(ryan(), opp, stage="proposal")
    app.claim_lead(rita(), capture(app, rita()))
    follower.catch_up()
    fresh = fold_until(projections, all_envelopes(app))
    for projection in projections:
        assert store.all_docs(projection.name) == fresh[projection.name].docs
    assert follower.lag() == {p.name: 0 for p in projections}


def test_a_command_on_a_cached_copy_another_process_changed_is_decided_on_the_stored_state(
    backend, second_process, ryan, rita
):
    app, _ = backend
    deal = open_deal(app, ryan())
    app.move_opportunity(ryan(), deal, stage="needs")  # this process now caches version 2
    second_process.move_opportunity(rita(), deal, stage="proposal")
    result = app.change_opportunity_amount(ryan(), deal, amount=Decimal(7))
    assert result.version == 4
    opportunity = app.get_opportunity(deal)
    assert (opportunity.stage, opportunity.amount) == ("proposal", Decimal(7))


def test_if_match_still_refuses_a_stale_version_after_another_process_changed_it(
    backend, second_process, ryan, rita
):
    app, _ = backend
    deal = open_deal(app, ryan())
    app.move_opportunity(ryan(), deal, stage="needs")
    second_process.move_opportunity(rita(), deal, stage="proposal")
    with pytest.raises(NotAllowedNow, match="version 3, not 2"):
        app.change_opportunity_amount(ryan(), deal, amount=Decimal(7), expected_version=2)


def test_queries_and_pipelines_see_what_another_process_saved(backend, second_process, maria):
    app, _ = backend
    app.define_pipeline(maria(), "hw", [{"key": "a", "name": "A", "probability": "0.1"}])
    deal = open_deal(app, maria(), product_line="hw")
    assert [s.key for s in app.stages_for("hw").stages] == ["a"]
    second_process.define_pipeline(maria(), "hw", [{"key": "b", "name": "B", "probability": "0.3"}])
    second_process.move_opportunity(maria(), deal, stage="b")
    assert [s.key for s in app.stages_for("hw").stages] == ["b"]
    assert app.get_opportunity(deal).stage == "b"


def test_many_upserts_insert_new_rows_and_update_existing_ones(backend):
    _, store = backend
    db = store.db
    upsert = (
        "INSERT INTO projection_docs (projection, key, doc) VALUES (?, ?, ?) "
        "ON CONFLICT (projection, key) DO UPDATE SET doc = excluded.doc"
    )
    with db.transaction():
        db.executemany(upsert, [("t", f"k{n}", f'{{"n": {n}}}') for n in range(2500)])
    with db.transaction():
        db.executemany(upsert, [("t", f"k{n}", '{"n": -1}') for n in range(0, 2500, 2)])
        delete = "DELETE FROM projection_docs WHERE projection = ? AND key = ?"
        db.executemany(delete, [("t", "k1")])  # not an INSERT: one statement per row
    docs = store.all_docs("t")
    assert len(docs) == 2499 and "k1" not in docs
    assert docs["k0"] == {"n": -1} and docs["k3"] == {"n": 3} and docs["k2498"] == {"n": -1}
