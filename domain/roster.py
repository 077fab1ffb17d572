"""Who may be given work: the users an assignment rule chooses among (the user directory
gives them to the application; the domain only says what it needs of each)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    name: str
    role: str  # rep, manager, admin
    team: str | None
    tags: frozenset[str] = frozenset()
    active: bool = True


Roster = Callable[[], Sequence[Member]]


def nobody() -> Sequence[Member]:
    return ()
