"""Users, their roles and teams, and bearer tokens (stored only as hashes)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from projections.database import Database

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
    """Who may call the API, as what, in which team."""

    def __init__(self, db: Database) -> None:
        self.db = db
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
        return token

    def authenticate(self, token: str) -> User | None:
        return self._one("SELECT name, role, team FROM users WHERE token_hash = ?", _hash(token))

    def get(self, name: str) -> User | None:
        return self._one("SELECT name, role, team FROM users WHERE name = ?", name)

    def list(self) -> list[User]:
        rows = self.db.read("SELECT name, role, team FROM users ORDER BY name")
        return [User(name, Role(role), team) for name, role, team in rows]

    def teams(self) -> dict[str, str | None]:
        """Each user's team, for the reports' team filter."""
        return {u.name: u.team for u in self.list()}

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
