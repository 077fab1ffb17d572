"""The opportunity commands: open, move through the stages, change, follow up, win, lose."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from domain.context import CommandContext
from domain.errors import InvalidValue
from domain.followups import FollowUp
from domain.leads import Lead, LeadStatusConflict
from domain.opportunities import Opportunity
from domain.pipeline_commands import PipelineCommands
from domain.results import CommandResult
from domain.rule_commands import RuleCommands
from domain.service import command
from domain.stages import DEFAULT_PRODUCT_LINE, is_late

# The practice: after a win, a first after-sale call within three days.
AFTER_SALE_CALL = timedelta(days=3)


class OpportunityCommands(RuleCommands, PipelineCommands):
    """Commands on opportunities, in the deployment's currency."""

    currency: str

    @command
    def open_opportunity(
        self,
        ctx: CommandContext,
        *,
        name: str,
        customer: str,
        amount: Decimal,
        expected_close: date,
        product_line: str | None = None,
        owner: str | None = None,
        lead_id: UUID | None = None,
        currency: str | None = None,
    ) -> CommandResult:
        if currency is not None and currency != self.currency:
            raise InvalidValue(
                f"currency must be {self.currency} (the deployment's currency)", field="currency"
            )
        if lead_id is not None:
            lead: Lead = self._get(Lead, lead_id)
            if not lead.is_active:
                raise LeadStatusConflict(
                    f"the lead is {lead.status}: a deal links an open or qualified lead "
                    "(a converted one has its deal already)", field="lead_id",
                )  # fmt: skip
        product_line = product_line or DEFAULT_PRODUCT_LINE
        opportunity = Opportunity.open(
            ctx,
            self.stages_for(product_line),
            name=name,
            customer=customer,
            owner=owner or ctx.actor,
            amount=amount,
            currency=self.currency,
            product_line=product_line,
            expected_close=expected_close,
            lead_id=lead_id,
        )
        return self._save(opportunity)

    @command
    def move_opportunity(
        self,
        ctx: CommandContext,
        opportunity_id: UUID,
        *,
        stage: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        opp = self._get_opportunity(opportunity_id, expected_version)
        opp.move_to_stage(ctx, self.stages_for(opp.product_line), stage=stage)
        return self._save(opp)

    @command
    def change_opportunity_amount(
        self,
        ctx: CommandContext,
        opportunity_id: UUID,
        *,
        amount: Decimal,
        expected_version: int | None = None,
    ) -> CommandResult:
        opp = self._get_opportunity(opportunity_id, expected_version)
        opp.change_amount(ctx, amount=amount)
        return self._save(opp)

    @command
    def change_opportunity_close_date(
        self,
        ctx: CommandContext,
        opportunity_id: UUID,
        *,
        expected_close: date,
        expected_version: int | None = None,
    ) -> CommandResult:
        opp = self._get_opportunity(opportunity_id, expected_version)
        opp.change_close_date(ctx, expected_close=expected_close)
        return self._save(opp)

    @command
    def reassign_opportunity(
        self,
        ctx: CommandContext,
        opportunity_id: UUID,
        *,
        to_rep: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        opp = self._get_opportunity(opportunity_id, expected_version)
        opp.reassign(ctx, to_rep=to_rep, reason=reason)
        return self._save(opp)

    @command
    def follow_up_opportunity(
        self,
        ctx: CommandContext,
        opportunity_id: UUID,
        follow_up: FollowUp,
        *,
        expected_version: int | None = None,
    ) -> CommandResult:
        opp = self._get_opportunity(opportunity_id, expected_version)
        opp.log_follow_up(ctx, follow_up)
        return self._save(opp)

    @command
    def win_opportunity(
        self,
        ctx: CommandContext,
        opportunity_id: UUID,
        *,
        amount: Decimal | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        opp = self._get_opportunity(opportunity_id, expected_version)
        opp.win(ctx, amount=amount)
        call = self._new_alert(
            ctx, kind="after_sale_call", occasion=str(opp.version),
            subject=("opportunity", str(opp.id)), rep=opp.owner, team=self._team_now(opp.owner),
            due_at=ctx.at + AFTER_SALE_CALL, facts={"amount": str(opp.amount)},
            message=f"{opp.customer} signed {opp.name}: make the first after-sale call "
                    f"within {AFTER_SALE_CALL.days} days",
        )  # fmt: skip
        return self._save(opp, *([call] if call else []))

    @command
    def lose_opportunity(
        self,
        ctx: CommandContext,
        opportunity_id: UUID,
        *,
        reason: str,
        competitor: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        opp = self._get_opportunity(opportunity_id, expected_version)
        stage = opp.stage
        opp.lose(ctx, reason=reason, competitor=competitor)
        alert = None
        if is_late(self.stages_for(opp.product_line), stage):
            alert = self._new_alert(
                ctx, kind="deal_lost_late", occasion=str(opp.version), audience="manager",
                subject=("opportunity", str(opp.id)), rep=opp.owner,
                team=self._team_now(opp.owner), facts={"stage": stage, "reason": reason},
                message=f"{opp.owner} lost {opp.name} ({opp.customer}) at {stage}: "
                        f"{reason}. Step in for a second follow-up",
            )  # fmt: skip
        return self._save(opp, *([alert] if alert else []))

    @command
    def reopen_opportunity(
        self, ctx: CommandContext, opportunity_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        opp = self._get_opportunity(opportunity_id, expected_version)
        opp.reopen(ctx, self.stages_for(opp.product_line))
        return self._save(opp)

    def _get_opportunity(self, opportunity_id: UUID, expected_version: int | None) -> Opportunity:
        return self._get_expecting(Opportunity, opportunity_id, expected_version)
