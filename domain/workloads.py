"""A rep's workload: the leads they hold, kept consistently so the claim limit holds under races."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import SalesAggregate
from domain.context import CommandContext


def workload_id(rep: str) -> UUID:
    """One workload per rep: a deterministic id, as the library's index aggregates do."""
    return uuid5(NAMESPACE_URL, f"salesledger:workload:{rep}")


class RepWorkload(SalesAggregate):
    """Index aggregate saved with each lead change, so two concurrent claims cannot both pass."""

    class Started(SalesAggregate.Created):
        rep: str

        def apply(self, workload: RepWorkload) -> None:
            workload.rep = self.rep
            workload.lead_ids = []

    class LeadTaken(SalesAggregate.Event):
        lead_id: UUID
        claimed: bool = False  # claimed from the pool (counts against the daily claim limit)

        def apply(self, workload: RepWorkload) -> None:
            workload.lead_ids.append(self.lead_id)
            if self.claimed:
                day = self.timestamp.date().isoformat()
                same_day = workload.claim_day == day
                workload.claims_that_day = workload.claims_that_day + 1 if same_day else 1
                workload.claim_day = day

    class LeadGivenUp(SalesAggregate.Event):
        lead_id: UUID

        def apply(self, workload: RepWorkload) -> None:
            workload.lead_ids.remove(self.lead_id)

    # State set by the events' apply(); declared for readers and type checkers only, since
    # class annotations would become constructor fields of the aggregate.
    if TYPE_CHECKING:
        rep: str
        lead_ids: list[UUID]  # a list, not a set, so that a snapshot can hold it (JSON)

    # The day of the rep's last claim and how many that day (class defaults: snapshots taken
    # before the daily limit existed lack them).
    claim_day = None
    claims_that_day = 0

    @classmethod
    def start(cls, rep: str, ctx: CommandContext) -> RepWorkload:
        return cls._open(cls.Started, ctx, id=workload_id(rep), rep=rep)

    @property
    def held_count(self) -> int:
        return len(self.lead_ids)

    def claims_on(self, day: date) -> int:
        return self.claims_that_day if self.claim_day == day.isoformat() else 0

    def take(self, lead_id: UUID, ctx: CommandContext, *, claimed: bool = False) -> None:
        if lead_id not in self.lead_ids:
            self._record(self.LeadTaken, ctx, lead_id=lead_id, claimed=claimed)

    def give_up(self, lead_id: UUID, ctx: CommandContext) -> None:
        if lead_id in self.lead_ids:
            self._record(self.LeadGivenUp, ctx, lead_id=lead_id)
