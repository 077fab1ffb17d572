"""Idempotency keys: a retried command returns the first answer instead of acting twice.

A key is claimed by inserting its row before the command runs, so two retries racing in
different API processes cannot both act: the database's primary key lets one in. The answer is
stored when the command succeeds; if it fails, the claim is released so a retry can run.

A process that dies between the claim and the answer (kill -9, a lost machine) leaves the
claim unfinished. The row keeps what a later retry needs to find out what happened: the
command's correlation id and the store position before it ran. Once the claim is older than
the bound a command may take, a retry looks for the command's events in the store; it
answers from them if they are there, and otherwise takes the claim over and runs the command.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.database import Database

SCHEMA = """CREATE TABLE IF NOT EXISTS idempotency_keys (
    principal TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    created_at TEXT NOT NULL,
    correlation_id TEXT,
    after_position BIGINT,
    PRIMARY KEY (principal, key))"""
# Columns a table created before crash recovery lacks (added in place, NULL for old rows).
ADDED_COLUMNS = {"correlation_id": "TEXT", "after_position": "BIGINT"}


@dataclass(frozen=True)
class StoredResponse:
    """The first request's fingerprint and, once it has finished, its answer; while it has
    not, when it was claimed and how to find its events."""

    fingerprint: str
    status: int | None
    body: Any
    claimed_at: datetime
    correlation_id: str | None = None
    after_position: int | None = None

    @property
    def finished(self) -> bool:
        return self.status is not None


class IdempotencyStore:
    """The first response to each (user, key), and a fingerprint of the request it answered."""

    def __init__(self, db: Database) -> None:
        self.db = db
        with db.transaction():
            db.execute(SCHEMA)
            present = db.columns_of("idempotency_keys")
            for column, kind in ADDED_COLUMNS.items():
                if column not in present:
                    db.execute(f"ALTER TABLE idempotency_keys ADD COLUMN {column} {kind}")

    def claim(
        self,
        principal: str,
        key: str,
        fingerprint: str,
        now: datetime,
        correlation_id: str,
        after_position: int,
    ) -> bool:
        """Takes the key for a request about to run; False if another request has it."""
        with self.db.transaction():
            inserted = self.db.execute(
                "INSERT INTO idempotency_keys "
                "(principal, key, fingerprint, created_at, correlation_id, after_position) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (principal, key) DO NOTHING",
                (principal, key, fingerprint, now.isoformat(), correlation_id, after_position),
            )
        return inserted == 1

    def take_over(
        self,
        principal: str,
        key: str,
        abandoned: StoredResponse,
        now: datetime,
        correlation_id: str,
        after_position: int,
    ) -> bool:
        """Takes an abandoned claim for a retry that will run the command itself; False if
        another retry took it (or finished it) first."""
        with self.db.transaction():
            updated = self.db.execute(
                "UPDATE idempotency_keys SET created_at = ?, correlation_id = ?, "
                "after_position = ? WHERE principal = ? AND key = ? AND status IS NULL "
                "AND created_at = ?",
                (
                    now.isoformat(),
                    correlation_id,
                    after_position,
                    principal,
                    key,
                    abandoned.claimed_at.isoformat(),
                ),
            )
        return updated == 1

    def find(self, principal: str, key: str) -> StoredResponse | None:
        rows = self.db.read(
            "SELECT fingerprint, status, body, created_at, correlation_id, after_position "
            "FROM idempotency_keys WHERE principal = ? AND key = ?",
            (principal, key),
        )
        if not rows:
            return None
        fingerprint, status, body, created_at, correlation_id, after_position = rows[0]
        return StoredResponse(
            fingerprint,
            None if status is None else int(status),
            json.loads(body or "null"),
            datetime.fromisoformat(created_at),
            correlation_id,
            None if after_position is None else int(after_position),
        )

    def complete(self, principal: str, key: str, status: int, body: Any) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE idempotency_keys SET status = ?, body = ? WHERE principal = ? AND key = ?",
                (status, json.dumps(body), principal, key),
            )

    def release(self, principal: str, key: str) -> None:
        """Gives up a claim whose command failed, so that a retry may run it."""
        with self.db.transaction():
            self.db.execute(
                "DELETE FROM idempotency_keys WHERE principal = ? AND key = ? AND status IS NULL",
                (principal, key),
            )


def fingerprint(method: str, path: str, body: bytes) -> str:
    """The request's identity for its Idempotency-Key: the same JSON however it is spaced or
    its keys ordered is the same request (a body that is not JSON counts byte by byte)."""
    return hashlib.sha256(
        method.encode() + b" " + path.encode() + b"\n" + _canonical(body)
    ).hexdigest()


def _canonical(body: bytes) -> bytes:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return body
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
