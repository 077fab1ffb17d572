"""Relational read models in SQLite or PostgreSQL: batches of rows written with their positions.

A batch reads rows by key (loading a batch's rows in one query per table first), holds what
the fold puts, and writes the changed rows as upserts in the caller's transaction, beside the
positions the batch reached. A rebuild replaces every row of the read model's tables in one
transaction, so readers see the old tables whole until the commit and the new ones after.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from projections.table_parts import merged, read_parts
from projections.tables import COUNT, Key, MemoryTables, Row, Table, row_id
from store.database import COPY_NULL, Database

PAGE = 500  # keys in one IN (...) of a prefetch
VERSIONS = """CREATE TABLE IF NOT EXISTS read_model_versions (
    read_model TEXT PRIMARY KEY,
    version BIGINT NOT NULL)"""


class SqlTables:
    """The tables of one relational read model, in one database, at its schema version.

    Tables of an older schema version are dropped and made anew, empty: `stale` says so, and
    the read model is then rebuilt from the store (`api.bootstrap.build` does it at start).
    """

    def __init__(self, db: Database, name: str, tables: Sequence[Table], version: int) -> None:
        self.db = db
        self.name = name
        self.tables = list(tables)
        self.stale = False
        with db.transaction():
            db.execute(VERSIONS)
            rows = db.query("SELECT version FROM read_model_versions WHERE read_model = ?", (name,))
            if rows and int(rows[0][0]) < version:
                for table in self.tables:
                    db.execute(f"DROP TABLE IF EXISTS {table.name}")
                db.execute("DELETE FROM projection_positions WHERE projection = ?", (name,))
                self.stale = True
            for table in self.tables:
                for statement in table.ddl(db.is_postgres):
                    db.execute(statement)
            db.execute(
                "INSERT INTO read_model_versions (read_model, version) VALUES (?, ?) "
                "ON CONFLICT (read_model) DO UPDATE SET version = excluded.version",
                (name, version),
            )

    def batch(self) -> TableBatch:
        """A TableState for one batch, inside a transaction the caller holds."""
        return TableBatch(self)

    def load(self, table: Table, keys: Sequence[Key]) -> dict[Key, Row]:
        """The stored rows of these keys (inside whatever transaction is open)."""
        found: dict[Key, Row] = {}
        columns = ", ".join(table.all_columns)
        for start in range(0, len(keys), PAGE):
            chunk = keys[start : start + PAGE]
            if len(table.key) == 1:
                where = f"{table.key[0]} IN ({', '.join('?' * len(chunk))})"
                params: list[Any] = [k[0] for k in chunk]
            else:
                one = "(" + " AND ".join(f"{c} = ?" for c in table.key) + ")"
                where = " OR ".join([one] * len(chunk))
                params = [part for k in chunk for part in k]
            for values in self.db.query(
                f"SELECT {columns} FROM {table.name} WHERE {where}", params
            ):
                row = dict(zip(table.all_columns, values, strict=True))
                found[table.key_of(row)] = row
        return found

    def write(self, table: Table, rows: list[Row]) -> None:
        """Upserts whole rows (inside the caller's transaction)."""
        if not rows:
            return
        columns = table.all_columns
        values = ", ".join(f"{c} = excluded.{c}" for c in table.columns)
        statement = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT ({', '.join(table.key)}) DO UPDATE SET {values}"
        )
        self.db.executemany(statement, [tuple(row[c] for c in columns) for row in rows])

    def add(self, table: Table, counts: dict[Key, int]) -> None:
        """Adds to a tally table's counts in place (inside the caller's transaction): another
        process may be adding to the same counts, so they are never written back whole."""
        if not counts:
            return
        keys, marks = ", ".join(table.key), ", ".join("?" * (len(table.key) + 1))
        statement = (
            f"INSERT INTO {table.name} ({keys}, {COUNT}) VALUES ({marks}) ON CONFLICT ({keys}) "
            f"DO UPDATE SET {COUNT} = {table.name}.{COUNT} + excluded.{COUNT}"
        )
        self.db.executemany(statement, [(*key, n) for key, n in sorted(counts.items())])

    def replace(self, rebuilt: MemoryTables) -> None:
        """Every table's rows replaced by a rebuild's (inside the caller's transaction)."""

        def fill(table: Table) -> None:
            values = operator.itemgetter(*table.all_columns)
            if self.db.is_postgres:  # by COPY, as a rebuild in parts (see Database.copy_rows)
                marked = [_null_marked(values(row)) for row in rebuilt.all_rows(table)]
                self.db.copy_rows(table.name, table.all_columns, marked, COPY_NULL)
                return
            rows = [values(row) for row in rebuilt.all_rows(table)]
            for start in range(0, len(rows), 20_000):
                self.db.insert_many(table.name, table.all_columns, rows[start : start + 20_000])

        self._replace_each(fill)

    def replace_from_parts(self, paths: Sequence[str], attached: Sequence[str]) -> None:
        """Every table's rows replaced by those of a rebuild's parts, scratch files at `paths`
        (inside the caller's transaction); `attached`: the names SQLite attached them under
        (it then copies the rows itself), or none (PostgreSQL: they are read here and copied
        in by COPY)."""

        def fill(table: Table) -> None:
            if attached:
                columns = ", ".join(table.all_columns)
                self.db.execute(f"INSERT INTO {table.name} ({columns}) {merged(table, attached)}")
                return
            for rows in read_parts(table, paths, COPY_NULL):
                self.db.copy_rows(table.name, table.all_columns, rows, COPY_NULL)

        self._replace_each(fill)

    def _replace_each(self, fill: Callable[[Table], None]) -> None:
        # SQLite: a million rows go in several times faster with the secondary indexes made
        # afterwards, and its readers keep their snapshot (WAL) of the old tables and indexes
        # until the commit. PostgreSQL keeps them: dropping an index would lock readers out.
        rebuild_indexes = not self.db.is_postgres
        for table in self.tables:
            self.db.execute(f"DELETE FROM {table.name}")
            if rebuild_indexes:
                for statement in table.drop_index_statements():
                    self.db.execute(statement)
            fill(table)
            if rebuild_indexes:
                for statement in table.index_statements():
                    self.db.execute(statement)
        self._analyze()

    def _analyze(self) -> None:
        """Fresh statistics, so that the planner picks the index a report's window needs
        (without them SQLite may walk the history by valid_from, nearly all of it)."""
        if self.db.is_postgres:
            for table in self.tables:
                self.db.execute(f"ANALYZE {table.name}")
        else:
            # the whole tables (a third of a second per 300,000 events): sampled statistics
            # misjudged a status filter that matches nearly every row as selective
            self.db.execute("PRAGMA analysis_limit = 0")
            self.db.execute("ANALYZE main")  # not the attached parts of a rebuild

    def clear(self) -> None:
        for table in self.tables:
            self.db.execute(f"DELETE FROM {table.name}")

    def all_rows(self) -> dict[str, Row]:
        """Every row by `table:key`, as MemoryTables.docs gives a rebuild's."""
        rows: dict[str, Row] = {}
        for table in self.tables:
            columns = table.all_columns
            for values in self.db.query(f"SELECT {', '.join(columns)} FROM {table.name}"):
                row = dict(zip(columns, values, strict=True))
                rows[row_id(table, table.key_of(row))] = row
        self.db.end_read()
        return rows

    def read(self, statement: str, params: Sequence[Any] = ()) -> list[tuple]:
        """A report's query, as one read that sees every commit before it."""
        return self.db.report_read(statement, params)


def _null_marked(values: tuple) -> tuple:
    return tuple(COPY_NULL if value is None else value for value in values)


class TableBatch:
    """The TableState a batch folds into: reads through to the database, writes at flush."""

    def __init__(self, store: SqlTables) -> None:
        self._store = store
        self._rows: dict[str, dict[Key, Row | None]] = {t.name: {} for t in store.tables}
        self._dirty: dict[str, set[Key]] = {t.name: set() for t in store.tables}
        self._counts: dict[str, dict[Key, int]] = {t.name: {} for t in store.tables}
        self._tables = {t.name: t for t in store.tables}
        self.new_positions: dict[str, int] = {}

    def get(self, table: Table, key: Key) -> Row | None:
        cached = self._rows[table.name]
        if key not in cached:
            cached[key] = self._store.load(table, [key]).get(key)
        return cached[key]

    def put(self, table: Table, row: Row) -> None:
        key = table.key_of(row)
        self._rows[table.name][key] = row
        self._dirty[table.name].add(key)

    def add(self, table: Table, key: Key, n: int) -> None:
        counts = self._counts[table.name]
        counts[key] = counts.get(key, 0) + n  # a 0 still makes the group, as a rebuild does

    def prefetch(self, wanted: Iterable[tuple[Table, Key]]) -> None:
        """Loads the rows a batch is about to read, one query per table and page of keys."""
        by_table: dict[str, set[Key]] = {}
        for table, key in wanted:
            if key not in self._rows[table.name]:
                by_table.setdefault(table.name, set()).add(key)
        for name, keys in by_table.items():
            ordered = sorted(keys)  # each key part is of one type throughout a table
            found = self._store.load(self._tables[name], ordered)
            self._rows[name].update({key: found.get(key) for key in ordered})

    def advance(self, positions: dict[str, int]) -> None:
        """Records the positions this batch reached; they commit with its rows."""
        self.new_positions.update(positions)

    def flush(self) -> None:
        for name, keys in self._dirty.items():
            rows = self._rows[name]
            ordered = sorted(keys)
            self._store.write(self._tables[name], [rows[k] for k in ordered])  # type: ignore[misc]
        for name, counts in self._counts.items():
            self._store.add(self._tables[name], counts)
