"""Relational read models: tables whose rows a fold puts by key, in memory or in SQL.

A relational read model declares its tables (`Table`: name, key columns, value columns,
indexes) and folds the public envelope into rows through a `TableState`: `get` a row by its
key, `put` a whole row, `add` to a count. Every row is owned by one aggregate (its key starts
with the aggregate's id) or is an appended fact keyed by (aggregate id, version), so no row is
read and written back on behalf of several aggregates: processes sharing a consumer group
never touch the same row, and redelivery puts the same rows again. The one exception is a
`Tally`'s counts, which many aggregates change: they are only ever added to (the database adds
each batch's sum in place, `n = n + ?`), and additions commute, so processes sharing a group
may add to one count; an envelope applied once (its aggregate version) adds once.

Values are plain: text (ids, ISO-8601 UTC times, which sort as times), integers (money in
cents, counts, versions) and NULL, so a row read back from SQLite or PostgreSQL equals the row
the fold put, and a rebuild can be compared with the live tables row by row.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

Row = dict[str, Any]
Key = tuple[Any, ...]


@dataclass(frozen=True)
class Table:
    """One table of a relational read model: its key columns, value columns and indexes."""

    name: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    integers: frozenset[str] = frozenset()
    indexes: tuple[tuple[str, ...], ...] = ()
    # indexes with an expression among their columns, by a name of their own: (name, columns,
    # the condition of a partial index or "")
    named_indexes: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    # the condition of every plain index, when they are partial (a history's: its ended rows)
    indexes_where: str = ""

    @property
    def all_columns(self) -> tuple[str, ...]:
        return self.key + self.columns

    def __post_init__(self) -> None:
        # The key of a row, as quickly as a fold of a million events needs it.
        pick = operator.itemgetter(*self.key)
        single = len(self.key) == 1
        object.__setattr__(self, "key_of", (lambda row: (pick(row),)) if single else pick)

    def key_of(self, row: Row) -> Key:  # replaced per table by __post_init__
        return tuple(row[c] for c in self.key)

    def ddl(self, postgres: bool) -> list[str]:
        integer = "BIGINT" if postgres else "INTEGER"
        columns = ", ".join(
            f"{c} {integer if c in self.integers else 'TEXT'}"
            + (" NOT NULL" if c in self.key else "")
            for c in self.all_columns
        )
        create = (
            f"CREATE TABLE IF NOT EXISTS {self.name} ({columns}, "
            f"PRIMARY KEY ({', '.join(self.key)}))"
        )
        return [create, *self.index_statements()]

    def index_statements(self) -> list[str]:
        return [
            f"CREATE INDEX IF NOT EXISTS {name} ON {self.name} ({', '.join(index)})"
            + (f" WHERE {where}" if where else "")
            for name, index, where in self._named_indexes()
        ]

    def drop_index_statements(self) -> list[str]:
        return [f"DROP INDEX IF EXISTS {name}" for name, _, _ in self._named_indexes()]

    def index_name(self, columns: tuple[str, ...]) -> str:
        """The name of the plain index on these columns (a query may name it)."""
        if columns not in self.indexes:
            raise ValueError(f"{self.name} has no index on {columns}")
        return f"{self.name}_by_{'_'.join(columns)}"

    def _named_indexes(self) -> list[tuple[str, tuple[str, ...], str]]:
        plain = [(self.index_name(index), index, self.indexes_where) for index in self.indexes]
        return plain + [
            (f"{self.name}_{n}", index, where) for n, index, where in self.named_indexes
        ]


COUNT = "n"  # a tally table's one value column


@dataclass(frozen=True)
class Tally:
    """How many current rows of an aggregate's table there are by a few of their columns (the
    tally table's key), among the rows `counts` accepts: kept as the rows change, so that a
    report reads a few groups instead of counting every row. NULL in a group column is kept
    as '' (key columns are NOT NULL). `group` makes a row's key when it is not the row's own
    columns (a month of a time, a flag of a status)."""

    table: Table
    counts: Callable[[Row], bool] = lambda row: True
    group: Callable[[Row], Key] | None = None

    def group_of(self, row: Row | None) -> Key | None:
        if row is None or not self.counts(row):
            return None
        if self.group is not None:
            return self.group(row)
        return tuple("" if row[c] is None else row[c] for c in self.table.key)

    def recount(self, state: TableState, before: Row | None, after: Row | None) -> None:
        """A row changed from `before` to `after` (None: absent): moved between groups."""
        old, new = self.group_of(before), self.group_of(after)
        if old == new:
            return
        if old is not None:
            state.add(self.table, old, -1)
        if new is not None:
            state.add(self.table, new, 1)


class TableState(Protocol):
    """Rows by table and key. Relational folds read and write through this."""

    def get(self, table: Table, key: Key) -> Row | None: ...

    def put(self, table: Table, row: Row) -> None: ...

    def add(self, table: Table, key: Key, n: int) -> None:
        """Adds n to the count of a tally table's group (made at 0 when first added to)."""


class MemoryTables:
    """A TableState in dicts: rebuilds, and unit tests of the folds."""

    def __init__(self, tables: Iterable[Table]) -> None:
        self.tables = {t.name: t for t in tables}
        self.rows: dict[str, dict[Key, Row]] = {name: {} for name in self.tables}

    def get(self, table: Table, key: Key) -> Row | None:
        return self.rows[table.name].get(key)

    def put(self, table: Table, row: Row) -> None:
        self.rows[table.name][table.key_of(row)] = row

    def add(self, table: Table, key: Key, n: int) -> None:
        rows = self.rows[table.name]
        row = rows.get(key)
        if row is None:
            row = rows[key] = {**dict(zip(table.key, key, strict=True)), COUNT: 0}
        row[COUNT] += n

    def all_rows(self, table: Table) -> Iterator[Row]:
        """The table's rows in key order (each key part is of one type throughout a table)."""
        rows = self.rows[table.name]
        for key in sorted(rows):
            yield rows[key]

    @property
    def docs(self) -> dict[str, Row]:
        """Every row by `table:key`, the shape verify compares a live read model in."""
        return {
            row_id(table, key): row
            for table in self.tables.values()
            for key, row in self.rows[table.name].items()
        }


def row_id(table: Table, key: Key) -> str:
    return f"{table.name}:" + "|".join(str(part) for part in key)
