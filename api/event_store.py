"""The PostgreSQL event store's insert: one round trip per save, ids still committed in order.

eventsourcing's default PostgreSQL insert is a pipelined transaction (lock the table, insert,
sync, commit: several waits on the connection per save). Its database-function mode is one
round trip but drops the table lock, so a lower notification id can commit after a higher one
is already visible. This recorder keeps the function and puts the lock back inside it: the
function runs as one autocommitted statement, so the lock is held from before the ids are drawn
until the commit, and ids become visible in the order they were drawn — the guarantee the
relay relies on — at the cost of one round trip.
"""

from __future__ import annotations

from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.sql import SQL, Identifier

ORDERED_RECORDER_TOPIC = "api.event_store:OrderedInsertRecorder"


class OrderedInsertRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        # A name of its own, so a deployment switching modes never runs the other definition.
        self.pg_function_name_insert_events = (
            f"salesledger_insert_events_ordered_{datastore.originator_id_type}"
        )
        names = {
            "schema": Identifier(datastore.schema),
            "function": Identifier(self.pg_function_name_insert_events),
            "event": Identifier(self.stored_event_type_name),
            "table": Identifier(self.events_table_name),
            "channel": Identifier(self.channel_name),
        }
        self.sql_invoke_pg_function_insert_events = SQL(
            "SELECT * FROM {schema}.{function}((%s))"
        ).format(**names)
        self.sql_create_pg_function_insert_events = SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[]) "
            "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
            "BEGIN "
            "  SET LOCAL lock_timeout = '{lock_timeout}s'; "
            "  LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
            "  NOTIFY {channel}; "
            "  RETURN QUERY "
            "  INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state) "
            "  SELECT originator_id, originator_version, topic, state FROM unnest(events) "
            "  RETURNING notification_id; "
            "END; $BODY$"
        ).format(lock_timeout=datastore.lock_timeout, **names)
        self.sql_create_statements[self.create_insert_function_statement_index] = (
            self.sql_create_pg_function_insert_events
        )
