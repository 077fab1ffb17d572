"""SalesLedger's event-store recorders: PostgreSQL's insert, and plain log rows on both stores.

Log readers (relay, in-process delivery, rebuild) take the log as plain tuples, `(position,
aggregate id as text, version, topic, state)` — `select_log_rows` — rather than the library's
notifications: a notification object and a UUID per row cost four times the read itself.

The PostgreSQL insert: one round trip per save, ids still committed in order.

eventsourcing's default PostgreSQL insert is a pipelined transaction (lock the table, insert,
sync, commit: several waits on the connection per save). Its database-function mode is one
round trip but drops the table lock, so a lower notification id can commit after a higher one
is already visible. This recorder keeps the function and puts the lock back inside it: the
function runs as one autocommitted statement, so the lock is held from before the ids are drawn
until the commit, and ids become visible in the order they were drawn — the guarantee the
relay relies on — at the cost of one round trip.

A save of one event (most commands) calls a twin of the function taking the event's four
fields as plain arguments, its statement rendered once: building the composite-array argument
and rendering the statement cost the client more than the round trip does.

Large batches (an import restoring a backup) go through COPY instead, in one transaction that
takes the same lock: the insert function's array argument costs more to build on the client
than the rows cost to store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import retry
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from store.envelopes import LogRow

ORDERED_RECORDER_TOPIC = "store.recorders:OrderedInsertRecorder"
FUNCTION_RECORDER_TOPIC = "store.recorders:PostgresLogRecorder"
SQLITE_RECORDER_TOPIC = "store.recorders:SQLiteLogRecorder"


MANY_AT_ONCE = 500  # aggregate ids in one IN (...) of select_events_of


class SQLiteLogRecorder(SQLiteApplicationRecorder):
    def select_events_of(self, ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every event of these aggregates, by aggregate then version: one query for a
        batch of commands (the scheduler's returns) instead of one per aggregate."""
        found: list[StoredEvent] = []
        for start in range(0, len(ids), MANY_AT_ONCE):
            chunk = [i.hex for i in ids[start : start + MANY_AT_ONCE]]
            with self.datastore.transaction(commit=False) as cursor:
                cursor.execute(
                    "SELECT originator_id, originator_version, topic, state "
                    f"FROM {self.events_table_name} WHERE originator_id IN "
                    f"({', '.join('?' * len(chunk))}) ORDER BY originator_id, originator_version",
                    chunk,
                )
                found += [
                    _stored(UUID(row[0]), row[1], row[2], row[3]) for row in cursor.fetchall()
                ]
        return found

    def select_log_rows(self, after: int, limit: int) -> list[LogRow]:
        with self.datastore.transaction(commit=False) as cursor:
            rows = cursor.sqlite_cursor
            rows.row_factory = None  # tuples, not the connection's named rows
            rows.execute(
                "SELECT rowid, originator_id, originator_version, topic, state "
                f"FROM {self.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (after, limit),
            )
            return rows.fetchall()


COPY_FROM_EVENTS = 100  # events in one save from which COPY is quicker than the function


class PostgresLogRecorder(PostgresApplicationRecorder):
    """eventsourcing's PostgreSQL recorder, reading the log as plain rows."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.log_rows_statement = SQL(
            "SELECT notification_id, originator_id::text, originator_version, topic, state "
            "FROM {schema}.{table} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(schema=Identifier(datastore.schema), table=Identifier(self.events_table_name))
        self.events_of_statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {schema}.{table} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(schema=Identifier(datastore.schema), table=Identifier(self.events_table_name))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_log_rows(self, after: int, limit: int) -> list[LogRow]:
        with self.datastore.get_connection() as connection:
            cursor = connection.cursor(row_factory=tuple_row)
            cursor.execute(self.log_rows_statement, (after, limit), prepare=True)
            return cursor.fetchall()

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_events_of(self, ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every event of these aggregates, by aggregate then version, in one query."""
        with self.datastore.get_connection() as connection:
            cursor = connection.cursor(row_factory=tuple_row)
            cursor.execute(self.events_of_statement, (list(ids),))
            return [_stored(*row) for row in cursor.fetchall()]


def _stored(aggregate_id: UUID, version: int, topic: str, state: Any) -> StoredEvent:
    return StoredEvent(originator_id=aggregate_id, originator_version=version, topic=topic,
                       state=bytes(state))  # fmt: skip


class OrderedInsertRecorder(PostgresLogRecorder):
    """Inserts through a function of our own that takes the table lock (see the module)."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        # A name of its own, so a deployment switching modes never runs the other definition.
        self.pg_function_name_insert_events = (
            f"salesledger_insert_events_ordered_{datastore.originator_id_type}"
        )
        one_event_function = f"salesledger_insert_event_ordered_{datastore.originator_id_type}"
        names = {
            "schema": Identifier(datastore.schema),
            "function": Identifier(self.pg_function_name_insert_events),
            "one_event_function": Identifier(one_event_function),
            "id_type": SQL(datastore.originator_id_type),
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
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{one_event_function}("
                "  event_originator_id {id_type}, event_originator_version bigint,"
                "  event_topic text, event_state bytea) "
                "RETURNS bigint LANGUAGE plpgsql AS $BODY$ "
                "DECLARE inserted bigint; "
                "BEGIN "
                "  SET LOCAL lock_timeout = '{lock_timeout}s'; "
                "  LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
                "  NOTIFY {channel}; "
                "  INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
                "  VALUES (event_originator_id, event_originator_version, event_topic,"
                "          event_state) "
                "  RETURNING notification_id INTO inserted; "
                "  RETURN inserted; "
                "END; $BODY$"
            ).format(lock_timeout=datastore.lock_timeout, **names)
        )
        self.insert_one_statement = (
            SQL("SELECT {schema}.{one_event_function}(%s, %s, %s, %s)").format(**names).as_bytes()
        )
        self.copy_statement = SQL(
            "COPY {schema}.{table} (originator_id, originator_version, topic, state) FROM STDIN"
        ).format(**names)
        self.ids_after_statement = SQL(
            "SELECT notification_id FROM {schema}.{table} WHERE notification_id > %s "
            "ORDER BY notification_id"
        ).format(**names)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if len(stored_events) == 1:
            return [self._insert_one(stored_events[0])]
        if len(stored_events) < COPY_FROM_EVENTS:
            return super().insert_events(stored_events, **kwargs)
        return self._copy_events(stored_events)

    # The same retry on a lost connection as the library's own insert.
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_one(self, e: StoredEvent) -> int:
        with self.datastore.get_connection() as connection:
            cursor = connection.cursor(row_factory=tuple_row)
            cursor.execute(
                self.insert_one_statement,
                (e.originator_id, e.originator_version, e.topic, e.state),
                prepare=True,
            )
            (notification_id,) = cursor.fetchone()
            return notification_id

    def _copy_events(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        with self.datastore.transaction(commit=True) as cursor:
            for statement in self.lock_table_statements:
                cursor.execute(statement, prepare=False)
            cursor.execute(self.max_notification_id_statement)
            (before,) = cursor.fetchone().values()
            with cursor.copy(self.copy_statement) as copy:
                for e in stored_events:
                    copy.write_row((e.originator_id, e.originator_version, e.topic, e.state))
            cursor.execute(self.ids_after_statement, (before or 0,))
            ids = [row["notification_id"] for row in cursor.fetchall()]
            self._notify_channel(cursor)
        return ids
