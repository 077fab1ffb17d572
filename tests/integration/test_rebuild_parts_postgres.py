"""A rebuild on PostgreSQL, in parts or in one process: the rows copied in (COPY, CSV) equal
one fold of the whole log, awkward text and NULLs included, and a tally's counts summed."""

from __future__ import annotations

from functools import partial

import psycopg2

from projections.sql_store import STORE_SOURCE, SqlDocStore
from store.database import Database
from tests.local.test_rebuild_parts import ledger_in_parts


def test_a_ledger_rebuilt_in_parts_on_postgresql_equals_one_rebuilt_whole(
    database_url, app, clock, ryan, maria, tmp_path
):
    paths, whole, last = ledger_in_parts(app, clock, ryan, maria, tmp_path)
    store = SqlDocStore(Database.postgres(partial(psycopg2.connect, database_url)))
    try:
        for _ in range(2):  # the second replaces the first's rows
            store.write_rebuilt_parts("ledger", paths, {STORE_SOURCE: last})
            assert store.all_docs("ledger") == whole.docs
            assert store.position("ledger", STORE_SOURCE) == last
        store.write_rebuilt("ledger", whole, {STORE_SOURCE: last})  # one process's
        assert store.all_docs("ledger") == whole.docs
    finally:
        store.db.close()
