"""The lead commands: capture, score, claim, assign, follow up, qualify, convert.

Each is get → decide → save; the reps' workloads (who holds how many leads) are saved in the
same transaction as the lead whose holder changed, so the claim limit holds under races.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.base import SalesAggregate
from domain.contact_vault import ContactVault
from domain.context import CommandContext
from domain.errors import NotAllowedNow, NotFound
from domain.followups import FollowUp
from domain.leads import Lead
from domain.opportunities import Opportunity
from domain.pipeline_commands import PipelineCommands
from domain.results import CommandResult, ConversionResult, ScoreResult
from domain.round_robin import Candidate, RoundRobin, choose, round_robin_id
from domain.rule_commands import RuleCommands
from domain.rules import PoolRules
from domain.scoring import Authority, ScoringRules
from domain.service import command
from domain.stages import DEFAULT_PRODUCT_LINE
from domain.workloads import RepWorkload, workload_id


class LeadCommands(RuleCommands, PipelineCommands):
    """Commands on leads, under the deployment's scoring rules and the claim and pool rules."""

    rules: ScoringRules
    currency: str
    vault: ContactVault

    @command
    def capture_lead(self, ctx: CommandContext, **details: Any) -> CommandResult:
        """Captures a lead into the pool, or to the rep the first matching assignment rule
        chooses (saved with it: the rep's workload and the rule's round robin)."""
        lead = Lead.capture(ctx, vault=self.vault, **details)
        return self._save(lead, *self._assign_by_rule(ctx, lead))

    @command
    def erase_contact(self, ctx: CommandContext, lead_id: UUID) -> CommandResult:
        """Erases the lead's contact: `ContactErased` is recorded, then the lead's key deleted.
        In that order, so that no erasure goes unrecorded: should the key outlive a crash in
        between, asking again deletes it (the lead says it is erased; no second event)."""
        lead = self._get_lead(lead_id, None)
        if lead.contact_erased:
            result = CommandResult(lead.id, lead.version, 0)
        else:
            lead.erase_contact(ctx)
            result = self._save(lead)
        self.vault.erase(lead.id, ctx.at.isoformat())
        return result

    def _assign_by_rule(self, ctx: CommandContext, lead: Lead) -> list[SalesAggregate]:
        rules = self.assignment_rules()
        rule = rules.rule_for(lead.assignment_facts())
        if rule is None:
            return []
        members = {m.name: m for m in self.roster() if m.active}
        turn: RoundRobin | None = None
        if rule.rep is not None:
            rep = rule.rep if rule.rep in members else None
            considered = [Candidate(rule.rep, None if rep else "not an active user")]
        else:
            reps = [m.name for m in members.values() if m.role == "rep" and m.team == rule.team
                    and (rule.tag is None or rule.tag in m.tags)]  # fmt: skip
            held = {r: self._workload(r, ctx).held_count for r in reps}
            turn = self._round_robin(ctx, rule.name)
            rep, considered = choose(reps, turn.last_rep, held, self.claim_policy().max_held)
        if rep is None:
            return []  # nobody can take it: it waits in the pool
        lead.assign(
            ctx, rep=rep, rule=rule.name, rule_version=rules.version,
            candidates=[{"rep": c.rep, "skipped": c.skipped} for c in considered],
        )  # fmt: skip
        workload = self._workload(rep, ctx)
        workload.take(lead.id, ctx)
        if turn is None:
            return [workload]
        turn.turn_to(ctx, rep)
        return [workload, turn]

    def _round_robin(self, ctx: CommandContext, rule: str) -> RoundRobin:
        try:
            return self.repository.get(round_robin_id(rule))
        except AggregateNotFoundError:
            return RoundRobin.start(ctx, rule)

    @command
    def score_lead(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        *,
        budget: Decimal,
        authority: Authority,
        need_clear: bool,
        timeline_days: int,
        expected_version: int | None = None,
    ) -> ScoreResult:
        lead = self._get_lead(lead_id, expected_version)
        holder = lead.active_holder()
        lead.score_bant(
            ctx,
            self.rules,
            budget=budget,
            authority=authority,
            need_clear=need_clear,
            timeline_days=timeline_days,
        )
        if lead.tier == "low" and self.nurture_policy().low_to_nurture:
            lead.nurture(ctx, reason="scored_low")  # the nurture rule, with the score
        result = self._save(lead, *self._workload_changes(lead, holder, ctx))
        return ScoreResult(**vars(result), score=lead.score or 0, tier=lead.tier or "")

    @command
    def claim_lead(
        self, ctx: CommandContext, lead_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        lead = self._get_lead(lead_id, expected_version)
        workload = self._workload(ctx.actor, ctx)
        lead.claim(ctx, self.claim_policy(), workload)
        workload.take(lead.id, ctx, claimed=True)
        return self._save(lead, workload)

    @command
    def assign_lead(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        *,
        rep: str,
        rule: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change_lead(ctx, lead_id, expected_version, Lead.assign, rep=rep, rule=rule)

    @command
    def release_lead(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        *,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change_lead(ctx, lead_id, expected_version, Lead.release, reason=reason)

    @command
    def return_lead_to_pool(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        *,
        reason: str,
        idle_days: int | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change_lead(
            ctx, lead_id, expected_version, Lead.return_to_pool, reason=reason, idle_days=idle_days
        )

    @command
    def return_lead_when_due(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        teams: Mapping[str, str | None],
        rules: PoolRules | None = None,
    ) -> CommandResult:
        """Returns the lead to the pool if its deadline has fallen, as decided on its state
        under the pool rules in force (`rules`: as the caller read them, for a whole pass)."""
        lead = self._get(Lead, lead_id)
        holder = lead.active_holder()
        lead.return_when_due(ctx, self.return_deadline_of(lead, teams, rules))
        return self._save(lead, *self._workload_changes(lead, holder, ctx))

    @command
    def return_leads_when_due(
        self,
        ctx: CommandContext,
        lead_ids: list[UUID],
        teams: Mapping[str, str | None],
        rules: PoolRules | None = None,
    ) -> dict[UUID, str]:
        """`return_lead_when_due` for many leads in one save (one transaction: a scheduler's
        pass pays one commit per batch, not one per lead); each lead is decided on its own
        state, and those refused (followed up since, returned already) are answered by id."""
        returned: list[Lead] = []
        workloads: dict[str, RepWorkload] = {}
        refused: dict[UUID, str] = {}
        leads = self._get_many(Lead, lead_ids)
        for lead_id in lead_ids:
            try:
                lead = leads.get(lead_id) or self._get(Lead, lead_id)  # NotFound if none
                holder = lead.active_holder()
                lead.return_when_due(ctx, self.return_deadline_of(lead, teams, rules))
            except (NotAllowedNow, NotFound) as refusal:
                refused[lead_id] = str(refusal)
                continue
            returned.append(lead)
            if holder is not None:
                workload = workloads.get(holder) or self._workload(holder, ctx)
                workloads[holder] = workload
                workload.give_up(lead.id, ctx)
        if returned:
            self._save(*returned, *workloads.values())
        return refused

    @command
    def warn_of_lead_return(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        teams: Mapping[str, str | None],
        rules: PoolRules | None = None,
    ) -> CommandResult:
        """Warns the holder (an event on the lead, and an alert to them, saved together)."""
        lead = self._get(Lead, lead_id)
        deadline = self.return_deadline_of(lead, teams, rules)
        lead.warn_of_return(ctx, deadline)
        assert deadline is not None and lead.holder is not None
        alert = self._new_alert(
            ctx, kind="return_warning", occasion=deadline.due_at.isoformat(),
            subject=("lead", str(lead.id)), rep=lead.holder,
            team=teams.get(lead.holder), due_at=deadline.due_at,
            message=f"{lead.company}: the lead {deadline.explained()}",
            facts={"rule": deadline.rule, "rule_version": deadline.rule_version,
                   "reason": deadline.reason, "idle_days": deadline.idle_days},
        )  # fmt: skip
        return self._save(lead, *([alert] if alert else []))

    @command
    def follow_up_lead(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        follow_up: FollowUp,
        *,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change_lead(ctx, lead_id, expected_version, Lead.log_follow_up, follow_up)

    @command
    def qualify_lead(
        self, ctx: CommandContext, lead_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        return self._change_lead(ctx, lead_id, expected_version, Lead.qualify)

    @command
    def disqualify_lead(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        *,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change_lead(ctx, lead_id, expected_version, Lead.disqualify, reason=reason)

    @command
    def nurture_lead(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        *,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change_lead(ctx, lead_id, expected_version, Lead.nurture, reason=reason)

    @command
    def reactivate_lead(
        self, ctx: CommandContext, lead_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        return self._change_lead(ctx, lead_id, expected_version, Lead.reactivate)

    @command
    def correct_lead_details(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        changes: dict[str, Any],
        *,
        expected_version: int | None = None,
    ) -> CommandResult:
        lead = self._get_lead(lead_id, expected_version)
        lead.correct_details(ctx, changes, self.vault)
        if "source" not in changes or lead.opportunity_id is None:
            return self._save(lead)
        # the deal it became counts for its source: corrected with it, in the same commit
        deal = self._get_expecting(Opportunity, lead.opportunity_id, None)
        deal.correct_lead_source(ctx, lead.source)
        return self._save(lead, deal)

    @command
    def convert_lead(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        *,
        name: str,
        amount: Decimal,
        expected_close: date,
        product_line: str | None = None,
        expected_version: int | None = None,
    ) -> ConversionResult:
        """Opens an opportunity from the lead; both are saved atomically."""
        lead = self._get_lead(lead_id, expected_version)
        holder_before = lead.active_holder()
        product_line = product_line or DEFAULT_PRODUCT_LINE
        opportunity = Opportunity.open(
            ctx,
            self.stages_for(product_line),
            name=name,
            customer=lead.company,
            owner=lead.holder or ctx.actor,
            amount=amount,
            currency=self.currency,
            product_line=product_line,
            expected_close=expected_close,
            lead_id=lead.id,
            # kept on the deal, and corrected with the lead (which knows it as its
            # opportunity_id); a deal opened with a lead's id but not from it keeps none
            lead_source=lead.source,
            opportunity_id=uuid4(),
        )
        lead.convert(ctx, opportunity_id=opportunity.id)
        workloads = self._workload_changes(lead, holder_before, ctx)
        result = self._save(lead, opportunity, *workloads)
        return ConversionResult(
            **vars(result),
            opportunity_id=opportunity.id,
            opportunity_version=opportunity.version,
        )

    def leads_held_by(self, rep: str) -> list[UUID]:
        """The leads the rep holds now, from their workload (kept in step with every lead)."""
        try:
            workload: RepWorkload = self._current(RepWorkload, workload_id(rep))
        except NotFound:
            return []
        return list(workload.lead_ids)

    def _change_lead(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        expected_version: int | None,
        command: Any,
        *args: Any,
        **kwargs: Any,
    ) -> CommandResult:
        """Runs a lead command and keeps the reps' workloads in step with who holds the lead."""
        lead = self._get_lead(lead_id, expected_version)
        holder_before = lead.active_holder()
        command(lead, ctx, *args, **kwargs)
        return self._save(lead, *self._workload_changes(lead, holder_before, ctx))

    def _workload_changes(
        self, lead: Lead, holder_before: str | None, ctx: CommandContext
    ) -> list[RepWorkload]:
        holder_after = lead.active_holder()
        if holder_before == holder_after:
            return []
        changed = []
        if holder_before is not None:
            before = self._workload(holder_before, ctx)
            before.give_up(lead.id, ctx)
            changed.append(before)
        if holder_after is not None:
            after = self._workload(holder_after, ctx)
            after.take(lead.id, ctx)
            changed.append(after)
        return changed

    def _workload(self, rep: str, ctx: CommandContext) -> RepWorkload:
        try:
            return self.repository.get(workload_id(rep))
        except AggregateNotFoundError:
            return RepWorkload.start(rep, ctx)

    def _get_lead(self, lead_id: UUID, expected_version: int | None) -> Lead:
        return self._get_expecting(Lead, lead_id, expected_version)
