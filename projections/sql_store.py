"""Read-model storage in SQLite or PostgreSQL: documents and tracking positions, written together.

A batch of events is folded into a write-through cache and flushed, with the positions it
reached, in one transaction: a crash leaves either all of the batch or none of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import orjson

from projections.ledger import LedgerProjection
from projections.state import Doc, MemoryState
from projections.table_parts import part_schemas
from projections.table_store import SqlTables, TableBatch
from projections.tables import MemoryTables, Table
from store.database import Database

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS projection_docs (
        projection TEXT NOT NULL,
        key TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (projection, key))""",
    """CREATE TABLE IF NOT EXISTS projection_positions (
        projection TEXT NOT NULL,
        source TEXT NOT NULL,
        position BIGINT NOT NULL,
        PRIMARY KEY (projection, source))""",
)
# The position source of read models that follow the event store's log itself (the
# in-process follower, rebuilds), as opposed to Kafka partitions ("topic:partition").
STORE_SOURCE = "store"
UPSERT_DOC = (
    "INSERT INTO projection_docs (projection, key, doc) VALUES (?, ?, ?) "
    "ON CONFLICT (projection, key) DO UPDATE SET doc = excluded.doc"
)
UPSERT_POSITION = (
    "INSERT INTO projection_positions (projection, source, position) VALUES (?, ?, ?) "
    "ON CONFLICT (projection, source) DO UPDATE SET position = excluded.position"
)
# A batch only ever moves a position forward: a process that lost a partition in a rebalance
# while it folded a batch of it commits behind the new owner, whose offset must stay.
ADVANCE_POSITION = (
    "INSERT INTO projection_positions (projection, source, position) VALUES (?, ?, ?) "
    "ON CONFLICT (projection, source) DO UPDATE SET position = {greatest}("
    "projection_positions.position, excluded.position)"
)


# The relational read models (tables, not documents), by name.
RELATIONAL: dict[str, tuple[tuple[Table, ...], int]] = {
    LedgerProjection.name: (LedgerProjection.tables, LedgerProjection.schema_version)
}


class SqlDocStore:
    """Documents, relational tables and positions of every read model, in one database."""

    def __init__(
        self, db: Database, relational: dict[str, tuple[tuple[Table, ...], int]] = RELATIONAL
    ) -> None:
        self.db = db
        self._advance_position = ADVANCE_POSITION.format(
            greatest="GREATEST" if db.is_postgres else "MAX"
        )
        with db.transaction():
            for statement in SCHEMA:
                db.execute(statement)
        self.tables = {
            name: SqlTables(db, name, tables, version)
            for name, (tables, version) in relational.items()
        }

    @property
    def stale(self) -> list[str]:
        """Relational read models whose tables were of an older schema: rebuild them."""
        return [name for name, tables in self.tables.items() if tables.stale]

    def positions(self, projection: str) -> dict[str, int]:
        rows = self.db.read(
            "SELECT source, position FROM projection_positions WHERE projection = ?", (projection,)
        )
        return {source: int(position) for source, position in rows}

    def position(self, projection: str, source: str) -> int:
        return self.positions(projection).get(source, 0)

    @contextmanager
    def batch(self, projection: str) -> Iterator[BatchState | TableBatch]:
        """A write-through DocState; on leaving, its documents and positions commit together."""
        with self.batches([projection]) as states:
            yield states[projection]

    @contextmanager
    def batches(
        self, projections: list[str], partitions: list[str] | None = None
    ) -> Iterator[dict[str, BatchState | TableBatch]]:
        """Write-through DocStates of several read models, committed all in one transaction.

        Two processes folding the same rows at once (two API processes without Kafka; two
        projectors of one consumer group, for documents shared by aggregates on different
        partitions, or for any row during a rebalance) would each read, change and write them
        back, and the last commit would win. The batch therefore holds writer locks from
        before its first read to its commit (see `_writer_locks`): the other process's batch
        waits, then reads what this one wrote, and its fold skips what was applied meanwhile.
        `partitions` names the Kafka partitions the batch holds events of.
        """
        with self.db.transaction():
            self.db.lock_for_writing(self._writer_locks(projections, partitions))
            states: dict[str, BatchState | TableBatch] = {
                name: self.tables[name].batch() if name in self.tables else BatchState(self, name)
                for name in projections
            }
            yield states
            for name, state in states.items():
                self._flush(name, state)

    def _writer_locks(self, projections: list[str], partitions: list[str] | None) -> list[str]:
        """A relational read model's rows belong to one aggregate, so to one Kafka partition:
        a batch of some partitions (`partitions`, a projector's) waits only for another
        process's batch of the same partitions — during a rebalance, the process that lost a
        partition and the one that got it. Documents shared across partitions, and batches of
        the whole log (the in-process follower), wait for every other batch of the read model.
        """
        names = []
        for name in projections:
            if name in self.tables and partitions is not None:
                names += [f"read_model:{name}:{partition}" for partition in partitions]
            else:
                names.append(f"read_model:{name}")
        return names

    def reader(self, projection: str) -> ReadState | SqlTables:
        if projection in self.tables:
            return self.tables[projection]
        return ReadState(self, projection)

    def clear(self, projection: str) -> None:
        with self.db.transaction():
            if projection in self.tables:
                self.tables[projection].clear()
            self.db.execute("DELETE FROM projection_docs WHERE projection = ?", (projection,))
            self.db.execute("DELETE FROM projection_positions WHERE projection = ?", (projection,))

    def load(self, projection: str, key: str) -> Doc | None:
        rows = self.db.query(
            "SELECT doc FROM projection_docs WHERE projection = ? AND key = ?", (projection, key)
        )
        return orjson.loads(rows[0][0]) if rows else None

    def load_many(self, projection: str, keys: list[str], page: int = 500) -> dict[str, Doc]:
        found: dict[str, Doc] = {}
        for start in range(0, len(keys), page):
            chunk = keys[start : start + page]
            rows = self.db.query(
                "SELECT key, doc FROM projection_docs WHERE projection = ? "
                f"AND key IN ({', '.join('?' * len(chunk))})",
                (projection, *chunk),
            )
            found.update((key, orjson.loads(doc)) for key, doc in rows)
        return found

    def load_prefix(self, projection: str, prefix: str) -> list[tuple[str, Doc]]:
        rows = self.db.query(
            "SELECT key, doc FROM projection_docs "
            "WHERE projection = ? AND substr(key, 1, ?) = ? ORDER BY key",
            (projection, len(prefix), prefix),
        )
        return [(key, orjson.loads(doc)) for key, doc in rows]

    def all_docs(self, projection: str) -> dict[str, Doc]:
        if projection in self.tables:
            return self.tables[projection].all_rows()
        docs = dict(self.load_prefix(projection, ""))
        self.db.end_read()
        return docs

    def write_rebuilt(
        self,
        projection: str,
        rebuilt: MemoryState | MemoryTables,
        positions: dict[str, int],
        page: int = 20_000,
    ) -> None:
        """Replaces a read model with a rebuilt one, in one transaction.

        Until the commit, readers see the old read model whole (both databases give readers a
        snapshot); after it, the new one whole. The given positions replace those of the same
        source; others (a Kafka projector's offsets) are kept: the rebuild holds every event
        the store had, so whatever Kafka delivers again after them is skipped by aggregate
        version. On SQLite other writers wait for the commit (seconds for a million events).
        """
        if isinstance(rebuilt, MemoryTables):
            with self.db.transaction():
                self.tables[projection].replace(rebuilt)
                self._replace_positions(projection, positions)
            self.db.settle([table.name for table in self.tables[projection].tables])
            return
        with self.db.transaction():
            items = sorted(rebuilt.docs.items())
            self.db.execute("DELETE FROM projection_docs WHERE projection = ?", (projection,))
            for start in range(0, len(items), page):
                rows = [(projection, key, _encode(doc)) for key, doc in items[start : start + page]]
                self.db.insert_many("projection_docs", ("projection", "key", "doc"), rows)
            self._replace_positions(projection, positions)

    def write_rebuilt_parts(
        self, projection: str, paths: Sequence[str], positions: dict[str, int]
    ) -> None:
        """Replaces a relational read model with a rebuild folded in parts, each part's rows in
        a scratch file (`projections.table_parts`), in one transaction as `write_rebuilt`."""
        tables = self.tables[projection]
        files = dict(zip(part_schemas(len(paths)), paths, strict=True))
        with self.db.attached(files) as names, self.db.transaction():
            tables.replace_from_parts(paths, names)
            self._replace_positions(projection, positions)
        self.db.settle([table.name for table in tables.tables])

    def _replace_positions(self, projection: str, positions: dict[str, int]) -> None:
        if positions:
            self.db.executemany(
                UPSERT_POSITION, [(projection, s, p) for s, p in sorted(positions.items())]
            )

    def _flush(self, projection: str, state: BatchState | TableBatch) -> None:
        """A batch's changed rows or documents, and the positions it reached."""
        if isinstance(state, TableBatch):
            state.flush()
        else:
            docs = [(projection, key, _encode(state.cache[key])) for key in sorted(state.dirty)]
            if docs:
                self.db.executemany(UPSERT_DOC, docs)
        positions = [(projection, s, p) for s, p in sorted(state.new_positions.items())]
        if positions:
            self.db.executemany(self._advance_position, positions)


class BatchState:
    """The DocState a batch folds into: reads through to the database, writes held until flush."""

    def __init__(self, store: SqlDocStore, projection: str) -> None:
        self._store = store
        self._projection = projection
        self.cache: dict[str, Doc | None] = {}
        self.dirty: set[str] = set()
        self.new_positions: dict[str, int] = {}

    def get(self, key: str) -> Doc | None:
        if key not in self.cache:
            self.cache[key] = self._store.load(self._projection, key)
        return self.cache[key]

    def put(self, key: str, doc: Doc) -> None:
        self.cache[key] = doc
        self.dirty.add(key)

    def prefetch(self, keys: set[str]) -> None:
        """Loads the documents a batch is about to read, in one query per page of keys."""
        missing = sorted(keys - self.cache.keys())
        self.cache.update(dict.fromkeys(missing))
        self.cache.update(self._store.load_many(self._projection, missing))

    def scan(self, prefix: str) -> Iterator[tuple[str, Doc]]:
        merged = dict(self._store.load_prefix(self._projection, prefix))
        merged.update({k: v for k, v in self.cache.items() if k.startswith(prefix) and v})
        for key in sorted(merged):
            yield key, merged[key]

    def advance(self, positions: Mapping[str, int]) -> None:
        """Records the positions this batch reached; they commit with its documents."""
        self.new_positions.update(positions)


class ReadState:
    """A read-only DocState over the stored documents, for report queries."""

    def __init__(self, store: SqlDocStore, projection: str) -> None:
        self._store = store
        self._projection = projection

    def get(self, key: str) -> Doc | None:
        return self._store.load(self._projection, key)

    def put(self, key: str, doc: Doc) -> None:
        raise TypeError("report queries never write")

    def scan(self, prefix: str) -> Iterator[tuple[str, Doc]]:
        yield from self._store.load_prefix(self._projection, prefix)
        self._store.db.end_read()


def _encode(doc: Doc) -> str:
    """A document as JSON text, keys sorted so the same document is always the same text."""
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).decode()
