"""Idempotency keys: a retried command returns the first answer instead of acting twice.

A key is claimed by inserting its row before the command runs, so two retries racing in
different API processes cannot both act: the database's primary key lets one in. The answer is
stored when the command succeeds; if it fails, the claim is released so a retry can run.
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
    PRIMARY KEY (principal, key))"""


@dataclass(frozen=True)
class StoredResponse:
    """The first request's fingerprint and, once it has finished, its answer."""

    fingerprint: str
    status: int | None
    body: Any

    @property
    def finished(self) -> bool:
        return self.status is not None


class IdempotencyStore:
    """The first response to each (user, key), and a fingerprint of the request it answered."""

    def __init__(self, db: Database) -> None:
        self.db = db
        with db.transaction():
            db.execute(SCHEMA)

    def claim(self, principal: str, key: str, fingerprint: str, now: datetime) -> bool:
        """Takes the key for a request about to run; False if another request has it."""
        with self.db.transaction():
            inserted = self.db.execute(
                "INSERT INTO idempotency_keys (principal, key, fingerprint, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (principal, key) DO NOTHING",
                (principal, key, fingerprint, now.isoformat()),
            )
        return inserted == 1

    def find(self, principal: str, key: str) -> StoredResponse | None:
        rows = self.db.read(
            "SELECT fingerprint, status, body FROM idempotency_keys "
            "WHERE principal = ? AND key = ?",
            (principal, key),
        )
        if not rows:
            return None
        fingerprint, status, body = rows[0]
        return StoredResponse(
            fingerprint, None if status is None else int(status), json.loads(body or "null")
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
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()
