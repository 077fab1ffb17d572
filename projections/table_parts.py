"""A rebuild's tables in parts: each process folds the aggregates of one part of the log and
writes its rows to a scratch SQLite file; one transaction then puts every part's rows in the
read model's tables.

A part's rows are its own aggregates' (every row is owned by one aggregate), so the parts'
rows never share a key, except a tally's counts, which are summed. The scratch files are
written without a journal or a sync (a crash loses only the scratch file: the rebuild is run
again) and without indexes, which the read model's tables get once, after the merge. SQLite
attaches the files and copies their rows itself; PostgreSQL is given them by COPY.
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Iterator, Sequence

from projections.tables import COUNT, MemoryTables, Table


def write_part(state: MemoryTables, path: str) -> None:
    """Every table's rows of a folded part, into a new scratch file at `path`."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        for table in state.tables.values():
            columns = table.all_columns
            connection.execute(f"CREATE TABLE {table.name} ({', '.join(columns)})")
            connection.executemany(
                f"INSERT INTO {table.name} VALUES ({', '.join('?' * len(columns))})",
                map(operator.itemgetter(*columns), state.rows[table.name].values()),
            )
        connection.commit()
    finally:
        connection.close()


def merged(table: Table, schemas: Sequence[str], null: str | None = None) -> str:
    """A SELECT of the table's rows from every part (attached as `schemas`), in key order;
    a tally's counts of one group summed across the parts; with `null`, NULLs given as it."""
    columns = ", ".join(table.all_columns)
    every = " UNION ALL ".join(f"SELECT {columns} FROM {schema}.{table.name}" for schema in schemas)
    key = ", ".join(table.key)
    if table.columns == (COUNT,):
        return f"SELECT {key}, SUM({COUNT}) FROM ({every}) AS parts GROUP BY {key} ORDER BY {key}"
    if null is not None:
        columns = ", ".join(f"COALESCE({c}, '{null}')" for c in table.all_columns)
    return f"SELECT {columns} FROM ({every}) AS parts ORDER BY {key}"


def part_schemas(count: int) -> list[str]:
    """The names the parts' files are attached under."""
    return [f"part{index}" for index in range(count)]


def read_parts(
    table: Table, paths: Sequence[str], null: str | None = None, page: int = 20_000
) -> Iterator[list[tuple]]:
    """The table's merged rows, a page at a time, read from the scratch files (for a database
    that cannot attach them: PostgreSQL); with `null`, NULLs given as it."""
    connection = sqlite3.connect(":memory:")
    try:
        schemas = part_schemas(len(paths))
        for schema, path in zip(schemas, paths, strict=True):
            connection.execute(f"ATTACH DATABASE ? AS {schema}", (path,))
        cursor = connection.execute(merged(table, schemas, null))
        while rows := cursor.fetchmany(page):
            yield rows
    finally:
        connection.close()
