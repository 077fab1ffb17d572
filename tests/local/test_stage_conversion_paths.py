"""Property: stage conversion, counted by the database for the deals that only went forward
and walked for the others, equals the walk of every deal's visits, for any commands, periods,
moments and filters."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers.in_process import StoreFollower
from projections.catalog import all_projections
from projections.filters import ReportFilter
from projections.reports.stage_conversion import stage_conversion
from projections.sql_store import SqlDocStore
from projections.teams import team_history
from store.database import Database
from store.event_store import open_pipeline
from tests.conftest import MONDAY
from tests.local.test_read_model_properties import DIRECTORY, operation, run

FILTERS = (
    ReportFilter(),
    ReportFilter(team="east"),
    ReportFilter(rep="will"),
    ReportFilter(product_line="general"),
)
# a moment some hours after the first command, or none (no bound, or live)
hours = st.one_of(st.none(), st.integers(0, 300))


def moment(offset: int | None) -> datetime | None:
    return None if offset is None else MONDAY + timedelta(hours=offset)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(operation, min_size=10, max_size=80),
    st.lists(st.tuples(hours, hours, hours), min_size=1, max_size=4),
)
def test_stage_conversion_counted_equals_every_deal_walked(ops, windows):
    app = open_pipeline(claim_limit=3)
    store = SqlDocStore(Database.sqlite(":memory:"))
    follower = StoreFollower(app, store, all_projections(), publish=lambda e: e, batch_size=7)
    run(app, ops, follower)
    follower.catch_up()
    tables = store.tables["ledger"]
    teams = team_history(tables, DIRECTORY)
    for since, until, as_of in windows:
        for report_filter in FILTERS:
            args = (tables, moment(as_of), moment(since), moment(until), report_filter, teams)
            assert stage_conversion(*args) == stage_conversion(*args, walk_every_deal=True)
    store.db.close()
    app.close()
