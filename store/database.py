"""One database connection, SQLite or PostgreSQL, shared safely between threads."""

from __future__ import annotations

import csv
import io
import queue
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import psycopg2

# "VALUES (?, ?, ?)": the one row of an INSERT, and its placeholders
_ONE_ROW_VALUES = re.compile(r"VALUES (\((?:\?, )*\?\))")


# The class (first key) of SalesLedger's transaction-scoped advisory locks on PostgreSQL.
WRITER_LOCKS = 0x5A1E


# Report queries run side by side on this many connections of their own (see `report_read`).
READERS = 4


class DatabaseUnavailable(Exception):
    """The database cannot be reached now (restarting, the network gone): try again shortly.
    The connection that failed is replaced on the next use."""


# What psycopg2 raises when the server went away or is not there (yet)
LOST = (psycopg2.OperationalError, psycopg2.InterfaceError)


class Database:
    """A DB-API connection behind a lock; statements use `?` placeholders on both backends.
    On PostgreSQL a connection the server dropped is opened again on its next use."""

    def __init__(
        self,
        connection: Any,
        placeholder: str = "?",
        open_reader: Callable[[], Any] | None = None,
        reconnect: Callable[[], Any] | None = None,
    ) -> None:
        self._raw_connection = connection
        self._placeholder = placeholder
        self._lock = threading.RLock()
        self._readers = _Readers(open_reader) if open_reader is not None else None
        self._reconnect = reconnect

    @property
    def _connection(self) -> Any:
        """The connection, opened again if the server dropped it (PostgreSQL)."""
        if self._reconnect is not None and self._raw_connection.closed:
            try:
                self._raw_connection = self._reconnect()
            except LOST as error:
                raise DatabaseUnavailable(str(error).strip()) from error
        return self._raw_connection

    @classmethod
    def sqlite(cls, path: str) -> Database:
        connection = sqlite3.connect(path, check_same_thread=False, timeout=30)
        if path == ":memory:":
            return cls(connection)  # one database per connection: nothing to read beside it
        connection.execute("PRAGMA journal_mode=WAL")
        return cls(connection, open_reader=lambda: _sqlite_reader(path))

    @classmethod
    def postgres(cls, connect: Callable[[], Any]) -> Database:
        return cls(connect(), placeholder="%s", open_reader=lambda: _postgres_reader(connect),
                   reconnect=connect)  # fmt: skip

    @property
    def is_postgres(self) -> bool:
        return self._placeholder != "?"

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Statements inside commit together, or roll back together on any error."""
        with self._lock:
            try:
                yield self
                self._connection.commit()
            except LOST as error:
                _rollback_quietly(self._raw_connection)
                raise DatabaseUnavailable(str(error).strip()) from error
            except BaseException:
                _rollback_quietly(self._raw_connection)
                raise

    def lock_for_writing(self, names: Sequence[str]) -> None:
        """The first statement of a transaction that reads rows it will write back: waits
        until no other process's transaction holds any of `names`, and holds them until this
        one ends, so read-modify-write of shared rows is serialised across processes.

        PostgreSQL: a transaction-scoped advisory lock per name (taken in name order, so two
        transactions never wait for each other). SQLite: the database's write lock, taken
        before the first read (BEGIN IMMEDIATE), which covers every name at once.
        """
        with self._lock:
            if self.is_postgres:
                for name in sorted(set(names)):
                    self.execute(
                        "SELECT pg_advisory_xact_lock(?, hashtext(?))", (WRITER_LOCKS, name)
                    )
            elif not self._connection.in_transaction:
                self._connection.execute("BEGIN IMMEDIATE")

    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        with self._lock:
            cursor = self._connection.cursor()
            cursor.execute(self._sql(statement), tuple(params))
            count = cursor.rowcount
            cursor.close()
            return count

    def executemany(self, statement: str, rows: list[tuple]) -> None:
        """The statement once per row. On PostgreSQL (psycopg2's executemany makes one round
        trip per row) a one-row INSERT (an upsert) whose only parameters are its row's goes as
        one multi-row statement per page, so no two rows of one call may hit the same conflict
        key; any other statement goes in pages of many statements."""
        with self._lock:
            cursor = self._connection.cursor()
            single_row = _ONE_ROW_VALUES.search(statement)
            if single_row and statement.count("?") != single_row.group(1).count("?"):
                single_row = None  # parameters outside the row: not one for execute_values
            if self.is_postgres and single_row:
                from psycopg2.extras import execute_values

                many_rows = statement.replace(single_row.group(0), "VALUES %s", 1)
                template = self._sql(single_row.group(1))
                execute_values(cursor, many_rows, rows, template=template, page_size=1000)
            elif self.is_postgres:
                from psycopg2.extras import execute_batch

                execute_batch(cursor, self._sql(statement), rows, page_size=1000)
            else:
                cursor.executemany(self._sql(statement), rows)
            cursor.close()

    def insert_many(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        """Bulk insert: one multi-row statement per page on PostgreSQL, executemany on SQLite."""
        names = ", ".join(columns)
        with self._lock:
            cursor = self._connection.cursor()
            if self.is_postgres:
                from psycopg2.extras import execute_values

                execute_values(
                    cursor, f"INSERT INTO {table} ({names}) VALUES %s", rows, page_size=2000
                )
            else:
                marks = ", ".join("?" * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
            cursor.close()

    def copy_rows(self, table: str, columns: Sequence[str], rows: list[tuple], null: str) -> None:
        """PostgreSQL: many rows, whose NULLs are given as `null`, in by COPY (CSV, written by
        the csv module in C: much quicker than multi-row INSERTs of wide rows, whose every
        value psycopg2 quotes in Python). SQLite copies from attached files instead."""
        if not self.is_postgres:
            raise NotImplementedError("SQLite: INSERT … SELECT from an attached file")
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        buffer.seek(0)
        names = ", ".join(columns)
        with self._lock:
            cursor = self._connection.cursor()
            cursor.copy_expert(
                f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv, NULL '{null}')", buffer
            )
            cursor.close()

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Rows of a read, inside whatever transaction is open (see `read` for one-off reads)."""
        with self._lock:
            return self._fetch(self._connection, statement, params)

    def read(self, statement: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Rows of a read made outside any transaction, which ends at once so that the next
        read sees newer commits."""
        with self._lock:
            rows = self.query(statement, params)
            self.end_read()
            return rows

    def report_read(self, statement: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Like `read`, on one of a few connections kept for reports, so that several
        requests' queries run at once instead of queueing for the writer's connection (WAL
        lets SQLite readers run beside the writer; each sees every commit before it)."""
        if self._readers is None:
            return self.read(statement, params)
        with self._readers.connection() as connection:
            return self._fetch(connection, statement, params)

    def _fetch(self, connection: Any, statement: str, params: Sequence[Any]) -> list[tuple]:
        try:
            cursor = connection.cursor()
            cursor.execute(self._sql(statement), tuple(params))
            rows = cursor.fetchall()
        except LOST as error:
            raise DatabaseUnavailable(str(error).strip()) from error
        cursor.close()
        return rows

    def end_read(self) -> None:
        # psycopg2 opens a transaction even for a SELECT; end it so the next read is fresh.
        if self.is_postgres:
            with self._lock:
                _rollback_quietly(self._raw_connection)

    def columns_of(self, table: str) -> set[str]:
        """The names of a table's columns (inside whatever transaction is open)."""
        if self.is_postgres:
            rows = self.query(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = ?",
                (table,),
            )
            return {name for (name,) in rows}
        return {row[1] for row in self.query(f"PRAGMA table_info({table})")}

    @contextmanager
    def attached(self, files: Mapping[str, str]) -> Iterator[list[str]]:
        """SQLite: the database files attached to this connection by name (schema: path) for
        as long as the block runs, outside any transaction (SQLite attaches none inside one);
        yields their names. PostgreSQL attaches no file: yields none."""
        if self.is_postgres:
            yield []
            return
        with self._lock:
            for schema, path in files.items():
                self._connection.execute(f"ATTACH DATABASE ? AS {schema}", (path,))
            try:
                yield list(files)
            finally:
                for schema in files:
                    self._connection.execute(f"DETACH DATABASE {schema}")

    def settle(self, tables: Sequence[str]) -> None:
        """After rewriting `tables` whole (a rebuild), readies them for reads.

        SQLite: copies the write-ahead log into the database file and empties it. The rebuild
        wrote the whole read model through it (a gigabyte for a million events), and until
        some later write reset it every report read looked each page up there: two to four
        times slower. PostgreSQL: VACUUM (ANALYZE), which marks the new rows visible to all
        in the visibility map: until autovacuum gets to them, PostgreSQL cannot answer from
        an index alone (an index-only scan) and reads every table row it finds."""
        with self._lock:
            if not self.is_postgres:
                self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                return
            connection = self._connection
            connection.autocommit = True  # VACUUM runs outside any transaction
            try:
                with connection.cursor() as cursor:
                    for table in tables:
                        cursor.execute(f"VACUUM (ANALYZE) {table}")
            finally:
                connection.autocommit = False

    def close(self) -> None:
        with self._lock:
            if not self.is_postgres:
                # SQLite's advice: refresh the planner's statistics where they are stale
                self._connection.execute("PRAGMA optimize")
            self._connection.close()
        if self._readers is not None:
            self._readers.close()

    def _sql(self, statement: str) -> str:
        return statement.replace("?", self._placeholder)


# A NULL in the rows a COPY reads: no stored text holds a control character (input refuses them)
COPY_NULL = "\x01"
READER_MMAP_BYTES = 4 << 30  # a limit, not an allocation: only the pages read take memory
SCHEMA_LOCK = 0x5A1E5_1ED6E  # any constant: one PostgreSQL advisory lock for schema set-up


class _Readers:
    """Up to READERS read-only connections, opened when first needed and reused."""

    def __init__(self, open_reader: Callable[[], Any]) -> None:
        self._open = open_reader
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(READERS)
        self._all: list[Any] = []
        self._lock = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[Any]:
        with self._slots:
            try:
                connection = self._idle.get_nowait()
            except queue.Empty:
                connection = self._open()
                with self._lock:
                    self._all.append(connection)
            try:
                yield connection
            finally:
                if getattr(connection, "closed", False):  # the server dropped it: open anew
                    with self._lock:
                        self._all.remove(connection)
                else:
                    self._idle.put(connection)

    def close(self) -> None:
        with self._lock:
            for connection in self._all:
                connection.close()
            self._all.clear()


def _rollback_quietly(connection: Any) -> None:
    """Ends the transaction; a connection the server dropped has none left to end."""
    with suppress(LOST):
        connection.rollback()


def _sqlite_reader(path: str) -> Any:
    connection = sqlite3.connect(path, check_same_thread=False, timeout=30)
    connection.execute("PRAGMA query_only = ON")
    # Reports read the same pages again and again: mapped, they are read from the operating
    # system's cache in place (shared by every reader and API process) instead of copied
    # into each connection's small private page cache first.
    connection.execute(f"PRAGMA mmap_size = {READER_MMAP_BYTES}")
    return connection


def _postgres_reader(connect: Callable[[], Any]) -> Any:
    connection = connect()
    connection.set_session(readonly=True, autocommit=True)  # each statement sees the latest
    with connection.cursor() as cursor:
        # A report's query of a few thousand rows is costed above jit_above_cost, and compiling
        # it (15 ms and more) takes longer than running it: reports never gain from the JIT.
        cursor.execute("SET jit = off")
        # The read models reports read are in memory (or on SSDs), where a random page costs
        # about what a sequential one does (the usual setting for both); at the default 4,
        # PostgreSQL hashed every lead to join a period's thousand deals to their leads.
        cursor.execute("SET random_page_cost = 1.1")
    return connection


@contextmanager
def schema_lock(database_url: str | None) -> Iterator[None]:
    """Processes starting together (api, relay, projector) create tables, functions and
    triggers one at a time: PostgreSQL refuses concurrent CREATE OR REPLACE of one function."""
    if database_url is None:
        yield
        return
    connection = psycopg2.connect(database_url)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        yield
    finally:
        connection.close()  # ends the session, and with it the lock
