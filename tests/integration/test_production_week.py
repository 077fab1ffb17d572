"""The e2e week, run in production shape: HTTP → PostgreSQL store → relay → Kafka → projectors
→ PostgreSQL read models → report endpoints. Each command is followed by draining the real
relay and projectors, so the live snapshots taken mid-week are what a user would have seen."""

from __future__ import annotations

import json
from collections.abc import Iterator

import jsonschema
import pytest

from api.bootstrap import Container
from domain.event_schemas import json_schema
from projections.replay import fold_until
from store.log_reader import all_envelopes
from tests.e2e.http.test_management_reports import (  # noqa: F401 - on PostgreSQL too
    november,
    test_closed_won_and_lost_analysis,
    test_forecast_as_of_a_past_moment_is_the_forecast_then,
    test_forecast_weighs_open_deals_by_expected_close_month,
    test_lead_conversion_follows_each_source_to_won,
    test_sales_cycle_counts_from_opening_when_there_is_no_lead,
    test_the_monthly_review_as_it_stood_on_friday_and_by_role,
    test_the_monthly_review_of_november,
    test_win_rate_counts_the_deals_closed_and_breaks_them_down,
    test_win_rate_is_scoped_to_the_managers_team_and_to_a_past_moment,
    test_win_rate_of_a_period_counts_only_deals_closed_in_it,
)
from tests.e2e.http.test_team_history import (  # noqa: F401 - through Kafka too
    moved,
    test_a_win_counts_for_the_team_the_rep_was_in_when_it_closed,
    test_an_as_of_report_sees_the_teams_of_that_moment,
    test_last_weeks_activity_stays_with_the_old_team,
)
from tests.e2e.http.test_week_of_activity import (  # noqa: F401 - the tests run here too
    test_a_manager_sees_the_funnel_of_their_own_team,
    test_a_pipeline_redefined_later_does_not_change_an_earlier_report,
    test_every_report_as_of_an_earlier_moment_equals_what_was_shown_then,
    test_funnel_for_the_whole_company,
    test_rep_activity_for_the_week,
    test_stage_conversion_for_a_period,
    test_stage_conversion_for_the_week,
    test_the_pool_shows_unheld_leads_masked,
    week,
)
from tests.integration.conftest import Pipeline
from tests.integration.kafka_reading import read_all


@pytest.fixture
def container(production: Container) -> Iterator[Container]:
    pipeline = Pipeline(production)
    production.after_command = pipeline.drain  # type: ignore[method-assign]
    yield production
    pipeline.close()


def test_read_models_built_through_kafka_equal_a_rebuild_from_the_store(
    week,  # noqa: F811 - the imported fixture, requested by name
    container,
):
    envelopes = (container.publish(e) for e in all_envelopes(container.app))
    fresh = fold_until(container.projections, envelopes)
    for projection in container.projections:
        assert container.docs.all_docs(projection.name) == fresh[projection.name].docs


def test_every_message_on_kafka_validates_against_its_published_schema(
    week,  # noqa: F811 - the imported fixture, requested by name
    container,
):
    records = read_all(container.settings.kafka_bootstrap, container.settings.topic_prefix)
    assert len(records) == sum(1 for _ in all_envelopes(container.app))
    for record in records:
        message = json.loads(record.value)
        assert dict(record.headers)["type"].decode() == message["type"]
        jsonschema.validate(message, json_schema(message["type"]))
