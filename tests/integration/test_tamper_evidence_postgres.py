"""Tamper evidence on PostgreSQL: the events table refuses UPDATE, DELETE and TRUNCATE, and a
change made behind the trigger's back is found by the audit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import psycopg2
import pytest

from domain.context import CommandContext
from tests.builders import capture

TABLE = "salespipeline_events"


@pytest.fixture
def sealed(production, clock):
    ctx = CommandContext("ryan", clock.now())
    capture(production.app, ctx)
    opp = production.app.open_opportunity(
        ctx, name="Deal", customer="C", amount=Decimal(1000), expected_close=date(2027, 1, 1)
    ).id
    production.app.move_opportunity(ctx, opp, stage="needs")
    production.audit.seal()
    return opp


def sql(url: str, statement: str, params=()) -> None:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(statement, params)
    connection.close()


@pytest.mark.parametrize(
    "statement",
    [f"UPDATE {TABLE} SET originator_version = 9", f"DELETE FROM {TABLE}", f"TRUNCATE {TABLE}"],
)
def test_the_events_table_refuses_changes(production, sealed, database_url, statement):
    with pytest.raises(psycopg2.errors.RaiseException, match="immutable"):
        sql(database_url, statement)
    assert production.audit.verify() is None


def test_an_event_edited_behind_the_trigger_is_found(production, sealed, database_url):
    sql(
        database_url,
        f"ALTER TABLE {TABLE} DISABLE TRIGGER events_immutable; "
        f"UPDATE {TABLE} SET state = convert_to("
        "replace(convert_from(state, 'UTF8'), 'needs', 'proposal'), 'UTF8') "
        "WHERE originator_id = %s AND originator_version = 2; "
        f"ALTER TABLE {TABLE} ENABLE TRIGGER events_immutable",
        (str(sealed),),
    )
    breach = production.audit.verify()
    assert breach is not None
    assert (breach.aggregate_id, breach.version) == (str(sealed), 2)
    assert "altered" in breach.problem


def test_a_deleted_event_is_found(production, sealed, database_url):
    sql(
        database_url,
        f"ALTER TABLE {TABLE} DISABLE TRIGGER events_immutable; "
        f"DELETE FROM {TABLE} WHERE originator_id = %s AND originator_version = 2; "
        f"ALTER TABLE {TABLE} ENABLE TRIGGER events_immutable",
        (str(sealed),),
    )
    breach = production.audit.verify()
    assert breach is not None and "sealed" in breach.problem
