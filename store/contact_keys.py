"""Each lead's contact key, in a table of its own beside the events: the vault that seals a
contact's personal data in the events and, by deleting the key, erases it (domain.contact_vault).

Sealing is AES-256-GCM with a random 96-bit nonce, authenticated with the lead and field it
belongs to (a sealed value copied onto another lead or field does not open). A key is written
and committed before the event that uses it is saved, so no stored event is ever sealed with a
key the store lost. Erasing overwrites the key with NULL and keeps the row as the mark that
the lead was erased (leads captured before sealing have no key, only the mark).
"""

from __future__ import annotations

import base64
import os
import threading
import time
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.contact_vault import ERASED, SEALED, is_sealed
from store.database import Database

DDL = (
    "CREATE TABLE IF NOT EXISTS contact_keys (lead_id TEXT PRIMARY KEY, contact_key TEXT, "
    "erased_at TEXT)"
)
# How long a process trusts its copy of the key table for the envelopes it publishes and
# folds (views always ask the table): an erasure elsewhere reaches it within this time.
SNAPSHOT_SECONDS = 30.0
_NONCE = 12


class ContactKeys:
    """The contact vault over the `contact_keys` table of the store's database."""

    def __init__(self, db: Database, clock: Any = time.monotonic) -> None:
        self.db = db
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshot: dict[str, str | None] = {}  # lead id → key (None: erased)
        self._loaded_at: float | None = None
        with db.transaction():
            db.execute(DDL)
        if not db.is_postgres:
            # SQLite: an erased key's bytes are overwritten on disk, not left in a free page
            db.execute("PRAGMA secure_delete = ON")

    # --- the vault ---

    def seal(self, lead_id: UUID, values: dict[str, str]) -> dict[str, str]:
        cipher = AESGCM(self._key_for_sealing(lead_id))
        sealed = {}
        for field, value in values.items():
            nonce = os.urandom(_NONCE)
            text = cipher.encrypt(nonce, value.encode(), _bound(lead_id, field))
            sealed[field] = SEALED + base64.urlsafe_b64encode(nonce + text).decode()
        return sealed

    def reveal(
        self, lead_id: UUID, values: dict[str, Any], *, fresh: bool = False
    ) -> dict[str, Any]:
        if all(value is None for value in values.values()):
            return dict(values)
        # a lead missing from the copy is one without a key or mark, unless a value is sealed
        # (its key may be newer than the copy): then the table is asked
        sealed = any(is_sealed(value) for value in values.values())
        known, key = self._lookup(str(lead_id), fresh=fresh, absent_is_final=not sealed)
        erased = known and key is None  # sealed or (from before sealing) in clear
        cipher = AESGCM(base64.b64decode(key)) if key is not None else None
        return {
            field: None if value is None else ERASED if erased
            else self._opened(cipher, lead_id, field, value)
            for field, value in values.items()
        }  # fmt: skip

    @staticmethod
    def _opened(cipher: AESGCM | None, lead_id: UUID, field: str, value: Any) -> Any:
        if not is_sealed(value):
            return value
        if cipher is None:
            return ERASED  # sealed with a key the store no longer has
        raw = base64.urlsafe_b64decode(value.removeprefix(SEALED))
        try:
            opened = cipher.decrypt(raw[:_NONCE], raw[_NONCE:], _bound(lead_id, field))
        except InvalidTag:
            return ERASED  # not sealed for this lead and field: show nothing of it
        return opened.decode()

    def erase(self, lead_id: UUID, at: str) -> None:
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO contact_keys (lead_id, contact_key, erased_at) VALUES (?, NULL, ?) "
                "ON CONFLICT (lead_id) DO UPDATE SET contact_key = NULL, "
                "erased_at = COALESCE(contact_keys.erased_at, excluded.erased_at)",
                (str(lead_id), at),
            )
        with self._lock:
            self._snapshot[str(lead_id)] = None

    # --- backup: a lead's key travels with its events ---

    def exported_key(self, lead_id: UUID) -> tuple[str | None, bool]:
        """(the lead's key, whether it was erased), as an export carries them."""
        known, key = self._lookup(str(lead_id), fresh=True)
        return key, known and key is None

    def restore(self, lead_id: UUID, key: str | None, erased: bool, at: str) -> None:
        """An imported lead's key, or its erasure (never bringing back an erased key)."""
        if erased:
            self.erase(lead_id, at)
            return
        if key is None:
            return
        base64.b64decode(key, validate=True)
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO contact_keys (lead_id, contact_key) VALUES (?, ?) "
                "ON CONFLICT (lead_id) DO NOTHING",
                (str(lead_id), key),
            )

    # --- the table and the copy of it ---

    def _key_for_sealing(self, lead_id: UUID) -> bytes:
        known, key = self._lookup(str(lead_id), fresh=True)
        if known and key is None:
            raise ValueError(f"lead {lead_id} was erased: its contact cannot be sealed again")
        if key is None:
            key = base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()
            with self.db.transaction():  # committed before the event that it seals is saved
                self.db.execute(
                    "INSERT INTO contact_keys (lead_id, contact_key) VALUES (?, ?)",
                    (str(lead_id), key),
                )
            with self._lock:
                self._snapshot[str(lead_id)] = key
        return base64.b64decode(key)

    def _lookup(
        self, lead_id: str, *, fresh: bool, absent_is_final: bool = False
    ) -> tuple[bool, str | None]:
        """(whether the table has a row for the lead, its key): from the copy, unless `fresh`
        (an erasure is final, so an erased lead in the copy is erased for good)."""
        with self._lock:
            stale = self._loaded_at is None or self._clock() - self._loaded_at > SNAPSHOT_SECONDS
        if stale and not fresh:
            self._load()
        with self._lock:
            if lead_id in self._snapshot and (not fresh or self._snapshot[lead_id] is None):
                return True, self._snapshot[lead_id]
            if absent_is_final and not fresh and lead_id not in self._snapshot:
                return False, None
        rows = self.db.read("SELECT contact_key FROM contact_keys WHERE lead_id = ?", (lead_id,))
        with self._lock:
            if rows:
                self._snapshot[lead_id] = rows[0][0]
        return (True, rows[0][0]) if rows else (False, None)

    def _load(self) -> None:
        """The whole table at once: a rebuild or the relay asks for every lead in turn."""
        rows = self.db.read("SELECT lead_id, contact_key FROM contact_keys")
        with self._lock:
            self._snapshot = dict(rows)
            self._loaded_at = self._clock()


def _bound(lead_id: UUID, field: str) -> bytes:
    return f"{lead_id}/{field}".encode()
