"""Users, their roles and teams, and bearer tokens (stored only as hashes)."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from store.database import Database

SCHEMA = """CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    team TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL)"""
MAX_NAME_LENGTH = 64


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    team: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER


class UserDirectory:
    """Who may call the API, as what, in which team.

    Every request authenticates and many need everyone's team, so the directory is kept in
    memory and read again from the database at most every `refresh_seconds`. A token not in
    memory is looked up in the database at once, so a user added by another process (the
    `salesledger users add` command) can sign in straight away; a team change shows in team
    filters within `refresh_seconds`.
    """

    def __init__(
        self,
        db: Database,
        *,
        refresh_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.refresh_seconds = refresh_seconds
        self.monotonic = monotonic
        self._by_token: dict[str, User] = {}
        self._loaded_at: float | None = None
        self._lock = threading.Lock()
        with db.transaction():
            db.execute(SCHEMA)

    def add(self, name: str, role: Role, team: str | None, now: datetime) -> str:
        """Creates the user and returns its bearer token, which is shown once and never stored."""
        name = name.strip()
        if (
            not name
            or len(name) > MAX_NAME_LENGTH
            or not name.replace(".", "").replace("-", "").replace("_", "").isalnum()
        ):
            raise UserError(
                f"user name must be 1 to {MAX_NAME_LENGTH} letters, digits, '.', '-' or '_'"
            )
        if self.get(name) is not None:
            raise UserError(f"user {name} already exists")
        token = secrets.token_urlsafe(24)
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO users (name, role, team, token_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, role.value, team, _hash(token), now.isoformat()),
            )
        self._loaded_at = None
        return token

    def set_team(self, name: str, team: str | None) -> None:
        with self.db.transaction():
            self.db.execute("UPDATE users SET team = ? WHERE name = ?", (team, name))
        self._loaded_at = None

    def authenticate(self, token: str) -> User | None:
        token_hash = _hash(token)
        known = self._directory().get(token_hash)
        if known is not None:
            return known
        return self._one("SELECT name, role, team FROM users WHERE token_hash = ?", token_hash)

    def get(self, name: str) -> User | None:
        return self._one("SELECT name, role, team FROM users WHERE name = ?", name)

    def list(self) -> list[User]:
        rows = self.db.read("SELECT name, role, team FROM users ORDER BY name")
        return [User(name, Role(role), team) for name, role, team in rows]

    def teams(self) -> dict[str, str | None]:
        """Each user's team, for the reports' team filter."""
        return {u.name: u.team for u in self._directory().values()}

    def _directory(self) -> dict[str, User]:
        """Users by token hash, read again when older than `refresh_seconds`."""
        with self._lock:
            now = self.monotonic()
            if self._loaded_at is None or now - self._loaded_at >= self.refresh_seconds:
                rows = self.db.read("SELECT name, role, team, token_hash FROM users")
                self._by_token = {h: User(n, Role(r), t) for n, r, t, h in rows}
                self._loaded_at = now
            return self._by_token

    def _one(self, statement: str, value: str) -> User | None:
        rows = self.db.read(statement, (value,))
        if not rows:
            return None
        name, role, team = rows[0]
        return User(name, Role(role), team)


def _hash(token: str) -> str:
    # Tokens are 192 random bits, so a plain SHA-256 is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


class UserError(ValueError):
    """A user cannot be created as asked."""
