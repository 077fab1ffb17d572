"""Whose turn it is: an assignment rule's round robin, kept in the store and saved with each
lead it assigns, so the turn is fair across restarts and across API processes (two captures
at once cannot both take the same turn: one save finds the other's and is decided again)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import SalesAggregate
from domain.context import CommandContext


def round_robin_id(rule: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"salesledger:round-robin:{rule}")


class RoundRobin(SalesAggregate):
    """The last rep an assignment rule gave a lead to (internal: never published)."""

    class Started(SalesAggregate.Created):
        rule: str

        def apply(self, turn: RoundRobin) -> None:
            turn.rule = self.rule
            turn.last_rep = None

    class Turned(SalesAggregate.Event):
        rep: str

        def apply(self, turn: RoundRobin) -> None:
            turn.last_rep = self.rep

    if TYPE_CHECKING:
        rule: str
        last_rep: str | None

    @classmethod
    def start(cls, ctx: CommandContext, rule: str) -> RoundRobin:
        return cls._open(cls.Started, ctx, id=round_robin_id(rule), rule=rule)

    def turn_to(self, ctx: CommandContext, rep: str) -> None:
        self._record(self.Turned, ctx, rep=rep)


@dataclass(frozen=True)
class Candidate:
    rep: str
    skipped: str | None  # why not this rep (at their limit), None for the one chosen


def in_turn(reps: Sequence[str], last: str | None) -> list[str]:
    """The reps in the order their turns come after `last` (names sorted: a stable circle)."""
    circle = sorted(reps)
    after = [r for r in circle if last is not None and r > last]
    return after + [r for r in circle if r not in after]


def choose(
    reps: Sequence[str], last: str | None, held: dict[str, int], max_held: int
) -> tuple[str | None, list[Candidate]]:
    """The first rep in turn below the held limit, and every rep of the circle in turn: those
    passed over with why, the chosen one, those whose turn comes later."""
    chosen, considered = None, []
    for rep in in_turn(reps, last):
        if chosen is not None:
            considered.append(Candidate(rep, "later in turn"))
        elif held.get(rep, 0) >= max_held:
            considered.append(Candidate(rep, f"at the limit of {max_held} leads held"))
        else:
            chosen = rep
            considered.append(Candidate(rep, None))
    return chosen, considered
