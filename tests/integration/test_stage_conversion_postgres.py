"""Stage conversion on PostgreSQL: deals that moved back or were reopened are walked, the
others counted by the database — the same answers as the walk of every deal, and as SQLite."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import psycopg2

from consumers.in_process import StoreFollower
from projections.catalog import all_projections
from projections.filters import ReportFilter
from projections.reports.stage_conversion import stage_conversion
from projections.sql_store import SqlDocStore
from projections.teams import TeamHistory
from store.database import Database
from tests.builders import open_deal

TEAMS = TeamHistory({"ryan": "east", "rita": "east", "will": "west"})


def play(app, ryan, rita, clock) -> None:
    """Four deals over five days: one moved back, one lost and reopened, two only forward."""
    t0 = clock.now()

    def on(day: int) -> None:
        clock.set(t0 + timedelta(days=day))

    back, reopened, forward = (open_deal(app, ryan()) for _ in range(3))
    on(1)
    late = open_deal(app, rita())
    for deal in (back, reopened, forward):
        app.move_opportunity(ryan(), deal, stage="needs")
    on(2)
    app.move_opportunity(ryan(), back, stage="contact")  # back: needs advanced only later
    app.lose_opportunity(ryan(), reopened, reason="price")
    app.move_opportunity(ryan(), forward, stage="proposal")
    app.move_opportunity(rita(), late, stage="needs")
    on(3)
    app.move_opportunity(ryan(), back, stage="proposal")
    app.reopen_opportunity(ryan(), reopened)
    app.lose_opportunity(ryan(), forward, reason="budget")
    on(4)
    app.win_opportunity(ryan(), back)
    app.move_opportunity(ryan(), reopened, stage="proposal")


def ledger_in(db: Database, app):
    store = SqlDocStore(db)
    StoreFollower(app, store, all_projections(), publish=lambda e: e).catch_up()
    return store.tables["ledger"]


def test_stage_conversion_on_postgresql_equals_the_walk_and_sqlite(
    database_url, app, ryan, rita, clock
):
    t0 = clock.now()
    play(app, ryan, rita, clock)
    databases = (
        Database.postgres(partial(psycopg2.connect, database_url)),
        Database.sqlite(":memory:"),
    )
    postgres, sqlite = (ledger_in(db, app) for db in databases)
    try:
        assert_counted_as_walked_and_as_on_sqlite(postgres, sqlite, t0)
    finally:
        for db in databases:
            db.close()


def assert_counted_as_walked_and_as_on_sqlite(postgres, sqlite, t0) -> None:
    def day(n: int):
        return t0 + timedelta(days=n)

    windows = [(None, None, None), (day(1), None, None), (day(1), day(2), None),
               (day(2), None, day(3)), (t0, day(3), day(3))]  # fmt: skip
    for since, until, as_of in windows:
        for report_filter in (ReportFilter(), ReportFilter(rep="ryan"), ReportFilter(team="east")):
            args = (as_of, since, until, report_filter, TEAMS)
            counted = stage_conversion(postgres, *args)
            assert counted == stage_conversion(postgres, *args, walk_every_deal=True)
            assert counted == stage_conversion(sqlite, *args)
    # from day 1 four deals entered needs; three went further (`back` only after moving back,
    # `reopened` only after its loss); `reopened` was lost in it
    rows = {r.stage: r for r in stage_conversion(postgres, None, day(1), None,
                                                 ReportFilter(), TEAMS)}  # fmt: skip
    assert (rows["needs"].entered, rows["needs"].advanced, rows["needs"].lost) == (4, 3, 1)
