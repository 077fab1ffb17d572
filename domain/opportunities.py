"""The Opportunity aggregate: a deal moving through its pipeline's stages to won or lost."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from domain.base import SalesAggregate
from domain.checks import require_non_negative, require_text
from domain.context import CommandContext
from domain.errors import InvalidValue, NotAllowedNow
from domain.followups import FollowUp
from domain.stages import CLOSED_STAGES, LOST, WON, StageModel


class OpportunityStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Opportunity(SalesAggregate):
    """A deal with a customer, owned by one rep, in exactly one stage at a time."""

    class Opened(SalesAggregate.Created):
        name: str
        customer: str
        owner: str
        amount: Decimal
        currency: str
        product_line: str
        expected_close: date
        stage: str
        lead_id: UUID | None
        # the lead's source when it was converted (events stored before it lack it): a deal's
        # reports by source read it here, not from the lead, deal by deal
        lead_source: str | None = None

        def apply(self, opp: Opportunity) -> None:
            opp.name = self.name
            opp.customer = self.customer
            opp.owner = self.owner
            opp.amount = self.amount
            opp.currency = self.currency
            opp.product_line = self.product_line
            opp.expected_close = self.expected_close
            opp.stage = self.stage
            opp.last_open_stage = self.stage
            opp.stage_entered_at = self.timestamp
            opp.lead_id = self.lead_id
            opp.lead_source = self.lead_source
            opp.status = OpportunityStatus.OPEN
            opp.lost_reason = None
            opp.competitor = None
            opp.closed_at = None
            opp.follow_up_count = 0
            opp.last_follow_up_at = None
            opp.next_follow_up_at = None

    class StageChanged(SalesAggregate.Event):
        from_stage: str
        to_stage: str

        def apply(self, opp: Opportunity) -> None:
            opp._enter(self.to_stage, self.timestamp)

    class AmountChanged(SalesAggregate.Event):
        amount: Decimal

        def apply(self, opp: Opportunity) -> None:
            opp.amount = self.amount

    class CloseDateChanged(SalesAggregate.Event):
        expected_close: date

        def apply(self, opp: Opportunity) -> None:
            opp.expected_close = self.expected_close

    class Reassigned(SalesAggregate.Event):
        from_rep: str
        to_rep: str
        reason: str | None = None  # e.g. rep_left (events stored before it lack it)

        def apply(self, opp: Opportunity) -> None:
            opp.owner = self.to_rep

    class FollowedUp(SalesAggregate.Event):
        rep: str
        method: str
        summary: str
        feedback: str | None
        next_step: str | None
        next_follow_up_at: datetime | None

        def apply(self, opp: Opportunity) -> None:
            opp.follow_up_count += 1
            opp.last_follow_up_at = self.timestamp
            opp.next_follow_up_at = self.next_follow_up_at

    class Won(SalesAggregate.Event):
        amount: Decimal

        def apply(self, opp: Opportunity) -> None:
            opp.amount = self.amount
            opp.status = OpportunityStatus.WON
            opp.stage = WON
            opp.stage_entered_at = self.timestamp
            opp.closed_at = self.timestamp

    class Lost(SalesAggregate.Event):
        stage: str
        reason: str
        competitor: str | None

        def apply(self, opp: Opportunity) -> None:
            opp.status = OpportunityStatus.LOST
            opp.stage = LOST
            opp.stage_entered_at = self.timestamp
            opp.lost_reason = self.reason
            opp.competitor = self.competitor
            opp.closed_at = self.timestamp

    class LeadSourceCorrected(SalesAggregate.Event):
        """The source of the lead the deal came from was corrected (open or closed, a deal
        counts for its lead's source from then on)."""

        lead_source: str

        def apply(self, opp: Opportunity) -> None:
            opp.lead_source = self.lead_source

    class Reopened(SalesAggregate.Event):
        stage: str

        def apply(self, opp: Opportunity) -> None:
            opp.status = OpportunityStatus.OPEN
            opp.lost_reason = None
            opp.competitor = None
            opp.closed_at = None
            opp._enter(self.stage, self.timestamp)

    # State set by the events' apply(); declared for readers and type checkers only, since
    # class annotations would become constructor fields of the aggregate.
    if TYPE_CHECKING:
        name: str
        customer: str
        owner: str
        amount: Decimal
        currency: str
        product_line: str
        expected_close: date
        stage: str
        last_open_stage: str
        stage_entered_at: datetime
        lead_id: UUID | None
        lead_source: str | None
        status: OpportunityStatus
        lost_reason: str | None
        competitor: str | None
        closed_at: datetime | None
        follow_up_count: int
        last_follow_up_at: datetime | None
        next_follow_up_at: datetime | None

    # --- commands ---

    @classmethod
    def open(
        cls,
        ctx: CommandContext,
        stages: StageModel,
        *,
        name: str,
        customer: str,
        owner: str,
        amount: Decimal,
        currency: str,
        product_line: str,
        expected_close: date,
        lead_id: UUID | None = None,
        lead_source: str | None = None,
        opportunity_id: UUID | None = None,
    ) -> Opportunity:
        require_non_negative(amount, "amount")
        return cls._open(
            cls.Opened,
            ctx,
            id=opportunity_id,
            name=require_text(name, "name"),
            customer=require_text(customer, "customer"),
            owner=require_text(owner, "owner"),
            amount=amount,
            currency=currency,
            product_line=require_text(product_line, "product_line"),
            expected_close=expected_close,
            stage=stages.first.key,
            lead_id=lead_id,
            lead_source=lead_source,
        )

    def move_to_stage(self, ctx: CommandContext, stages: StageModel, *, stage: str) -> None:
        self._check_open()
        if stage in CLOSED_STAGES:
            raise InvalidValue(
                f"use win or lose to close an opportunity, not a move to '{stage}'", field="stage"
            )
        if not stages.has(stage):
            raise UnknownStage(
                f"'{stage}' is not a stage of the {self.product_line} pipeline "
                f"({', '.join(stages.keys)})",
                field="stage",
            )
        if stage == self.stage:
            raise NotAllowedNow(f"opportunity is already in stage '{stage}'", field="stage")
        self._record(self.StageChanged, ctx, from_stage=self.stage, to_stage=stage)

    def change_amount(self, ctx: CommandContext, *, amount: Decimal) -> None:
        self._check_open()
        require_non_negative(amount, "amount")
        if amount == self.amount:
            raise NotAllowedNow(f"amount is already {amount}", field="amount")
        self._record(self.AmountChanged, ctx, amount=amount)

    def change_close_date(self, ctx: CommandContext, *, expected_close: date) -> None:
        self._check_open()
        if expected_close == self.expected_close:
            raise NotAllowedNow(
                f"expected close is already {expected_close}", field="expected_close"
            )
        self._record(self.CloseDateChanged, ctx, expected_close=expected_close)

    def reassign(self, ctx: CommandContext, *, to_rep: str, reason: str | None = None) -> None:
        self._check_open()
        to_rep = require_text(to_rep, "rep")
        if to_rep == self.owner:
            raise NotAllowedNow(f"opportunity is already owned by {to_rep}", field="rep")
        self._record(self.Reassigned, ctx, from_rep=self.owner, to_rep=to_rep, reason=reason)

    def log_follow_up(self, ctx: CommandContext, follow_up: FollowUp) -> None:
        self._check_open()
        self._record(self.FollowedUp, ctx, rep=ctx.actor, **follow_up.checked(ctx.at))

    def win(self, ctx: CommandContext, *, amount: Decimal | None = None) -> None:
        self._check_open()
        require_non_negative(amount, "amount")
        self._record(self.Won, ctx, amount=self.amount if amount is None else amount)

    def lose(self, ctx: CommandContext, *, reason: str, competitor: str | None = None) -> None:
        self._check_open()
        self._record(
            self.Lost,
            ctx,
            stage=self.stage,
            reason=require_text(reason, "reason"),
            competitor=competitor,
        )

    def correct_lead_source(self, ctx: CommandContext, source: str) -> None:
        """Its lead's source, corrected on the lead: a closed deal takes it too (its win or
        loss counts for the right source), a deal without a lead has none to correct."""
        if self.lead_id is None:
            raise InvalidValue("the opportunity was not converted from a lead", field="source")
        if source != self.lead_source:
            self._record(self.LeadSourceCorrected, ctx, lead_source=require_text(source, "source"))

    def reopen(self, ctx: CommandContext, stages: StageModel) -> None:
        """Back to the open stage it left, or the first stage if its pipeline no longer has it."""
        if self.status == OpportunityStatus.OPEN:
            raise OpportunityNotClosed("opportunity is open; only a closed one can be reopened")
        stage = self.last_open_stage if stages.has(self.last_open_stage) else stages.first.key
        self._record(self.Reopened, ctx, stage=stage)

    # --- helpers ---

    def _enter(self, stage: str, at: datetime) -> None:
        self.stage = stage
        self.last_open_stage = stage
        self.stage_entered_at = at

    def _check_open(self) -> None:
        if self.status != OpportunityStatus.OPEN:
            raise OpportunityClosed(f"opportunity is closed ({self.status})")


class OpportunityClosed(NotAllowedNow):
    """A won or lost opportunity takes no changes until it is reopened."""


class OpportunityNotClosed(NotAllowedNow):
    """Only a closed opportunity can be reopened."""


class UnknownStage(InvalidValue):
    """The stage is not one of the opportunity's pipeline."""
