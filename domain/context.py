"""Who is acting, why, and when: passed into every command so events record it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from uuid import uuid4

# The actor of automatic decisions (`system:scheduler`); a user's name never has a colon.
SYSTEM_PREFIX = "system:"
SCHEDULER = SYSTEM_PREFIX + "scheduler"


def is_system(actor: str) -> bool:
    return actor.startswith(SYSTEM_PREFIX)


class Clock(Protocol):
    """Anything that tells the current time (injected so tests control time)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class CommandContext:
    """The acting user, the correlation id that ties a request's events together, and the time."""

    actor: str
    at: datetime
    correlation_id: str = ""

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("CommandContext.at must be timezone-aware")
        if not self.correlation_id:
            object.__setattr__(self, "correlation_id", str(uuid4()))
