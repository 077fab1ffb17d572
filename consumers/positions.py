"""Positions the consumers reached, kept in the database they write to."""

from __future__ import annotations

from store.database import Database

SCHEMA = """CREATE TABLE IF NOT EXISTS consumer_positions (
    consumer TEXT PRIMARY KEY,
    position BIGINT NOT NULL)"""


class PositionStore:
    """One position per named consumer (the relay's is the last notification sent to Kafka)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        with db.transaction():
            db.execute(SCHEMA)

    def get(self, consumer: str) -> int:
        rows = self.db.read(
            "SELECT position FROM consumer_positions WHERE consumer = ?", (consumer,)
        )
        return int(rows[0][0]) if rows else 0

    def set(self, consumer: str, position: int) -> None:
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO consumer_positions (consumer, position) VALUES (?, ?) "
                "ON CONFLICT (consumer) DO UPDATE SET position = excluded.position",
                (consumer, position),
            )
