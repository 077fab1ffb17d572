"""PostgreSQL inserts: one round trip per save, and ids visible only in the order drawn.

An earlier insert that has drawn its notification id but not committed yet is the case the
relay must never see overtaken: the default insert function waits for it; eventsourcing's own
function (SALESLEDGER_STORE_DB_FUNCTIONS=true) does not, leaving a gap the relay has to wait on.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest
from eventsourcing.persistence import IntegrityError

from api.settings import Settings
from domain.application import SalesPipeline
from store.event_store import open_pipeline
from store.log_reader import all_envelopes
from store.recorders import COPY_FROM_EVENTS
from tests.builders import capture

EVENTS_TABLE = "salespipeline_events"


def blocked_on_a_lock(database_url: str) -> bool:
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def wait_for(condition, attempts: int = 3000) -> bool:
    """Polls without sleeping a fixed time: each check is a round trip to the server."""
    return any(condition() for _ in range(attempts))


@pytest.fixture
def uncommitted_insert(database_url):
    """A transaction that has inserted an event (and so drawn an id) but not committed."""
    connection = psycopg2.connect(database_url)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {EVENTS_TABLE} (originator_id, originator_version, topic, state) "
            "VALUES (%s, 1, 'test:Placeholder', '{}') RETURNING notification_id",
            (str(uuid.uuid4()),),
        )
        drawn = cursor.fetchone()[0]
    yield connection, drawn
    connection.close()


def application(database_url: str, tmp_path, *, db_functions: bool) -> SalesPipeline:
    settings = Settings(
        data_dir=tmp_path, database_url=database_url, store_db_functions=db_functions
    )
    return open_pipeline(settings.event_store_env())


@pytest.fixture
def ordered_app(database_url, tmp_path, ryan):
    app = application(database_url, tmp_path, db_functions=False)
    capture(app, ryan())  # the table and the insert function exist
    yield app
    app.close()


def test_a_save_waits_for_an_earlier_uncommitted_insert_so_ids_appear_in_order(
    ordered_app, database_url, request, ryan
):
    connection, drawn = request.getfixturevalue("uncommitted_insert")
    with ThreadPoolExecutor(1) as pool:
        saving = pool.submit(capture, ordered_app, ryan())
        assert wait_for(lambda: blocked_on_a_lock(database_url))
        assert not saving.done()
        connection.rollback()  # the earlier transaction ends: the save may go on
        saving.result(timeout=30)
    assert ordered_app.last_position() > drawn


def test_a_save_of_several_events_waits_for_an_earlier_uncommitted_insert_too(
    ordered_app, database_url, request, ryan
):
    """A one-event save and a save of several go through different statements; both lock."""
    source = open_pipeline()
    for n in range(3):
        capture(source, ryan(), company=f"Company {n}")
    several = list(source.recorder.select_notifications(start=1, limit=3))
    connection, drawn = request.getfixturevalue("uncommitted_insert")
    with ThreadPoolExecutor(1) as pool:
        saving = pool.submit(ordered_app.recorder.insert_events, several)
        assert wait_for(lambda: blocked_on_a_lock(database_url))
        assert not saving.done()
        connection.rollback()
        ids = saving.result(timeout=30)
    assert len(ids) == 3 and ids == sorted(ids) and ids[0] > drawn


def test_eventsourcings_own_function_does_not_wait_and_leaves_a_gap_below_a_visible_id(
    database_url, tmp_path, request, ryan
):
    app = application(database_url, tmp_path, db_functions=True)
    capture(app, ryan())
    connection, drawn = request.getfixturevalue("uncommitted_insert")
    capture(app, ryan())  # returns at once, while the earlier id is still invisible
    visible = [e["position"] for e in all_envelopes(app)]
    assert drawn not in visible and visible[-1] > drawn
    connection.rollback()
    app.close()


def test_a_large_batch_that_clashes_with_a_stored_version_writes_nothing(ordered_app, ryan):
    source = open_pipeline()
    for n in range(COPY_FROM_EVENTS):
        capture(source, ryan(), company=f"Company {n}")
    batch = list(source.recorder.select_notifications(start=1, limit=10**6))
    clash = ordered_app.recorder.select_notifications(start=1, limit=1)[0]
    before = ordered_app.last_position()
    with pytest.raises(IntegrityError):
        ordered_app.recorder.insert_events([*batch, clash])
    assert ordered_app.last_position() == before
    ids = ordered_app.recorder.insert_events(batch)
    assert len(ids) == len(batch) and ids == sorted(ids) and ids[0] > before
