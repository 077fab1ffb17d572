"""Users, their roles and teams, and bearer tokens (stored only as hashes)."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from domain.roster import Member
from store.database import Database

SCHEMA = """CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    team TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    tags TEXT NOT NULL DEFAULT '',
    token_expires_at TEXT)"""
DEFAULT_TOKEN_LIFETIME = timedelta(days=90)
MAX_TAGS = 20
TAG_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")  # as api.schemas.Tag, so a rule can name it
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
    active: bool = True
    tags: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER


class UserDirectory:
    """Who may call the API, as what, in which team.

    Many requests need everyone's team, so the teams are kept in memory and read again from
    the database at most every `refresh_seconds` (a team change shows in team filters within
    it). A token is looked up in the database on every request (one indexed read), so a user
    added by another process (`salesledger users add`) signs in at once, and a deactivated
    one is refused at once.
    """

    def __init__(
        self,
        db: Database,
        *,
        refresh_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
        token_lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
    ) -> None:
        self.db = db
        self.token_lifetime = token_lifetime
        self.refresh_seconds = refresh_seconds
        self.monotonic = monotonic
        self._by_token: dict[str, User] = {}
        self._loaded_at: float | None = None
        self._lock = threading.Lock()
        with db.transaction():
            db.execute(SCHEMA)
            columns = db.columns_of("users")  # a directory from before automation lacks two
            if "active" not in columns:
                db.execute("ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1")
            if "tags" not in columns:
                db.execute("ALTER TABLE users ADD COLUMN tags TEXT NOT NULL DEFAULT ''")
            if "token_expires_at" not in columns:  # tokens from before expiry: a lifetime from now
                db.execute("ALTER TABLE users ADD COLUMN token_expires_at TEXT")
                expires = (datetime.now(UTC) + token_lifetime).isoformat()
                db.execute("UPDATE users SET token_expires_at = ?", (expires,))

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
                "INSERT INTO users (name, role, team, token_hash, created_at, token_expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, role.value, team, _hash(token), now.isoformat(), self._expiry(now)),
            )
        self._loaded_at = None
        return token

    def rotate_token(self, name: str, now: datetime) -> tuple[str, datetime]:
        """A new token for the user (the old one stops working at once), and when it expires."""
        if self.get(name) is None:
            raise UserError(f"no user {name}")
        token = secrets.token_urlsafe(24)
        with self.db.transaction():
            self.db.execute(
                "UPDATE users SET token_hash = ?, token_expires_at = ? WHERE name = ?",
                (_hash(token), self._expiry(now), name),
            )
        self._loaded_at = None
        return token, now + self.token_lifetime

    def token_expires_at(self, name: str) -> datetime | None:
        rows = self.db.report_read("SELECT token_expires_at FROM users WHERE name = ?", (name,))
        return datetime.fromisoformat(rows[0][0]) if rows and rows[0][0] else None

    def check_token(self, token: str, now: datetime) -> tuple[User | None, str]:
        """The token's user, or None and why it is refused (unknown, expired, revoked)."""
        rows = self.db.report_read(
            f"SELECT {USER_COLUMNS}, token_expires_at FROM users WHERE token_hash = ?",
            (_hash(token),),
        )
        if not rows:
            return None, "the bearer token is not valid"
        user, expires = _user(rows[0][:-1]), rows[0][-1]
        if not user.active:
            return None, f"the bearer token was revoked: {user.name} is deactivated"
        if expires is not None and datetime.fromisoformat(expires) <= now:
            return None, (f"the bearer token expired on {expires}; an admin issues a new one "
                          f"(salesledger users token {user.name} --rotate)")  # fmt: skip
        return user, ""

    def _expiry(self, now: datetime) -> str:
        return (now + self.token_lifetime).isoformat()

    def set_team(self, name: str, team: str | None) -> None:
        with self.db.transaction():
            self.db.execute("UPDATE users SET team = ? WHERE name = ?", (team, name))
        self._loaded_at = None

    def set_active(self, name: str, active: bool) -> None:
        """Deactivates a user (their token stops working at once) or lets them back in."""
        with self.db.transaction():
            self.db.execute("UPDATE users SET active = ? WHERE name = ?", (int(active), name))
        self._loaded_at = None

    def set_tags(self, name: str, tags: list[str]) -> tuple[str, ...]:
        """The user's tags (e.g. `senior`), which assignment rules may choose reps by."""
        clean = tuple(sorted({t.strip() for t in tags}))
        if len(clean) > MAX_TAGS or not all(TAG_PATTERN.match(t) for t in clean):
            raise UserError(f"up to {MAX_TAGS} tags of 1 to 32 letters, digits, '.', '-', '_'")
        with self.db.transaction():
            self.db.execute("UPDATE users SET tags = ? WHERE name = ?", (",".join(clean), name))
        self._loaded_at = None
        return clean

    def roster(self) -> list[Member]:
        """Every user as an assignment rule sees them (from the copy kept in memory)."""
        return [Member(u.name, u.role.value, u.team, frozenset(u.tags), u.active)
                for u in self._directory().values()]  # fmt: skip

    def authenticate(self, token: str, now: datetime | None = None) -> User | None:
        """The token's user if the token is valid now (see `check_token` for why not)."""
        return self.check_token(token, now or datetime.now(UTC))[0]

    def get(self, name: str) -> User | None:
        return self._one(f"SELECT {USER_COLUMNS} FROM users WHERE name = ?", name)

    def list(self) -> list[User]:
        rows = self.db.read(f"SELECT {USER_COLUMNS} FROM users ORDER BY name")
        return [_user(row) for row in rows]

    def managers_of(self, team: str | None) -> list[str]:
        """The team's active managers, by name."""
        return [u.name for u in self.list() if u.is_manager and u.active and u.team == team]

    def teams(self) -> dict[str, str | None]:
        """Each user's team, for the reports' team filter."""
        return {u.name: u.team for u in self._directory().values()}

    def _directory(self) -> dict[str, User]:
        """Users by token hash, read again when older than `refresh_seconds`."""
        with self._lock:
            now = self.monotonic()
            if self._loaded_at is None or now - self._loaded_at >= self.refresh_seconds:
                rows = self.db.read(f"SELECT {USER_COLUMNS}, token_hash FROM users")
                self._by_token = {row[-1]: _user(row[:-1]) for row in rows}
                self._loaded_at = now
            return self._by_token

    def _one(self, statement: str, value: str) -> User | None:
        # on a reader connection: never queued behind a read model's write transaction
        rows = self.db.report_read(statement, (value,))
        return _user(rows[0]) if rows else None


USER_COLUMNS = "name, role, team, active, tags"


def _user(row: tuple) -> User:
    name, role, team, active, tags = row
    return User(name, Role(role), team, bool(active), tuple(t for t in tags.split(",") if t))


def _hash(token: str) -> str:
    # Tokens are 192 random bits, so a plain SHA-256 is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


class UserError(ValueError):
    """A user cannot be created as asked."""
