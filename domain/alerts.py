"""Alerts: something a rep or a manager should act on, raised by a rule or by the scheduler,
acknowledged by whoever dealt with it. An alert is an aggregate of its own, published like
every other event (`<prefix>.alert.v1`).

Its id is deterministic from what it is about and the occasion (a lead's return due at T, a
deal won), so the same alert is never raised twice, whichever process raises it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import SalesAggregate
from domain.context import CommandContext
from domain.errors import NotAllowedNow

ALERT_KINDS = (
    "return_warning",  # the holder's lead goes back to the pool soon
    "sla_breach",  # a lead's first contact is late (to the manager)
    "follow_up_due",  # a planned follow-up in the next 24 hours
    "re_evaluation",  # a nurtured lead is due to be looked at again
    "quiet_rep",  # a rep with no follow-up for days (to the manager)
    "untouched_lead",  # a high-value lead nobody updated for days (to the manager)
    "stale_deal",  # a deal longer in its stage than the stage's expected days
    "deal_lost_late",  # lost at proposal or later: the manager steps in (to the manager)
    "after_sale_call",  # a deal won: a first after-sale call within 3 days
)
AUDIENCES = ("rep", "manager")


def alert_id(kind: str, subject: str, occasion: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"salesledger:alert:{kind}:{subject}:{occasion}")


class Alert(SalesAggregate):
    """Something to act on: for `rep` (audience `rep`) or for the managers of `team`."""

    class Raised(SalesAggregate.Created):
        kind: str
        audience: str
        rep: str | None
        team: str | None
        subject_type: str  # lead, opportunity, rep
        subject_id: str
        message: str
        due_at: datetime | None
        facts: dict[str, Any]

        def apply(self, alert: Alert) -> None:
            alert.kind = self.kind
            alert.audience = self.audience
            alert.rep = self.rep
            alert.team = self.team
            alert.acknowledged_by = None

    class Acknowledged(SalesAggregate.Event):
        by: str

        def apply(self, alert: Alert) -> None:
            alert.acknowledged_by = self.by

    if TYPE_CHECKING:
        kind: str
        audience: str
        rep: str | None
        team: str | None
        acknowledged_by: str | None

    @classmethod
    def raise_(
        cls,
        ctx: CommandContext,
        *,
        kind: str,
        occasion: str,
        subject: tuple[str, str],
        message: str,
        rep: str | None,
        team: str | None,
        audience: str = "rep",
        due_at: datetime | None = None,
        facts: dict[str, Any] | None = None,
    ) -> Alert:
        assert kind in ALERT_KINDS and audience in AUDIENCES
        subject_type, subject_id = subject
        return cls._open(
            cls.Raised, ctx, id=alert_id(kind, subject_id, occasion), kind=kind,
            audience=audience, rep=rep, team=team, subject_type=subject_type,
            subject_id=subject_id, message=message, due_at=due_at, facts=facts or {},
        )  # fmt: skip

    def acknowledge(self, ctx: CommandContext) -> None:
        if self.acknowledged_by is not None:
            raise NotAllowedNow(f"the alert was acknowledged by {self.acknowledged_by} already")
        self._record(self.Acknowledged, ctx, by=ctx.actor)


class AlertRaisedAlready(NotAllowedNow):
    """The same alert (same subject, same occasion) exists: it is never raised twice."""
