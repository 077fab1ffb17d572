"""Idempotency keys: a retried command returns the first answer instead of acting twice."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections.database import Database

SCHEMA = """CREATE TABLE IF NOT EXISTS idempotency_keys (
    principal TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (principal, key))"""


@dataclass(frozen=True)
class StoredResponse:
    fingerprint: str
    status: int
    body: Any


class IdempotencyStore:
    """The first response to each (user, key), and a fingerprint of the request it answered."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Two retries of one key arriving together must not both act: one waits for the other.
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()
        with db.transaction():
            db.execute(SCHEMA)

    def lock(self, principal: str, key: str) -> threading.Lock:
        with self._guard:
            return self._key_locks.setdefault((principal, key), threading.Lock())

    def find(self, principal: str, key: str) -> StoredResponse | None:
        rows = self.db.query(
            "SELECT fingerprint, status, body FROM idempotency_keys "
            "WHERE principal = ? AND key = ?",
            (principal, key),
        )
        self.db.end_read()
        if not rows:
            return None
        fingerprint, status, body = rows[0]
        return StoredResponse(fingerprint, int(status), json.loads(body))

    def remember(
        self, principal: str, key: str, fingerprint: str, status: int, body: Any, now: datetime
    ) -> None:
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO idempotency_keys "
                "(principal, key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (principal, key, fingerprint, status, json.dumps(body), now.isoformat()),
            )


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()
