"""The commands time drives (the scheduler issues them): a late first contact, a nurtured
lead's re-evaluation, a reminder before a planned follow-up. Each decides on the aggregate's
own state and raises its alert in the same save, so it happens once and never half."""

from __future__ import annotations

from datetime import UTC, timedelta
from uuid import UUID

from domain.context import CommandContext
from domain.errors import NotAllowedNow
from domain.leads import Lead, NotDueYet
from domain.opportunities import Opportunity
from domain.results import CommandResult
from domain.rule_commands import RuleCommands
from domain.scoring import ScoringRules
from domain.service import command

REMINDER = timedelta(hours=24)  # the practice: a reminder 24 hours before a follow-up


class TimedCommands(RuleCommands):
    rules: ScoringRules

    @command
    def record_contact_overdue(self, ctx: CommandContext, lead_id: UUID) -> CommandResult:
        """The holder's first contact is late: an event on the lead, an alert to the managers."""
        lead: Lead = self._get(Lead, lead_id)
        due = lead.record_contact_overdue(ctx, self.rules)
        holder = lead.holder
        assert holder is not None
        hours = self.rules.sla_hours(lead.tier)
        alert = self._new_alert(
            ctx, kind="sla_breach", occasion=due.isoformat(), audience="manager",
            subject=("lead", str(lead.id)), rep=holder, team=self._team_now(holder),
            due_at=due, facts={"tier": lead.tier, "sla_hours": hours},
            message=f"{lead.company}: {holder} has not contacted this {lead.tier} lead within "
                    f"{hours} hours (due {due.isoformat()})",
        )  # fmt: skip
        return self._save(lead, *([alert] if alert else []))

    @command
    def reevaluate_lead(
        self, ctx: CommandContext, lead_id: UUID, *, after: timedelta
    ) -> CommandResult:
        """A nurtured lead's time is up: back to the pool to be scored again, with an alert."""
        lead: Lead = self._get(Lead, lead_id)
        rep = lead.nurtured_from
        due = lead.reevaluate(ctx, after=after)
        alert = self._new_alert(
            ctx, kind="re_evaluation", occasion=due.isoformat(), audience="manager",
            subject=("lead", str(lead.id)), rep=rep, team=rep and self._team_now(rep),
            due_at=due, facts={"nurture_days": after.days},
            message=f"{lead.company} was nurtured for {after.days} days: it is back in the "
                    "pool to be scored again",
        )  # fmt: skip
        return self._save(lead, *([alert] if alert else []))

    @command
    def remind_of_follow_up(self, ctx: CommandContext, subject: tuple[str, UUID]) -> CommandResult:
        """A reminder to the holder (or owner) of a follow-up planned in the next 24 hours."""
        kind, aggregate_id = subject
        record = self._get(Lead if kind == "lead" else Opportunity, aggregate_id)
        rep = record.holder if kind == "lead" else record.owner
        planned = record.next_follow_up_at
        if rep is None or planned is None or planned - REMINDER > ctx.at:
            raise NotDueYet("no follow-up is planned in the next 24 hours")
        if kind == "opportunity" and record.closed_at is not None:
            raise NotAllowedNow("the opportunity is closed")
        name = record.company if kind == "lead" else record.name
        alert = self._new_alert(
            ctx, kind="follow_up_due", occasion=planned.astimezone(UTC).isoformat(),
            subject=(kind, str(record.id)),
            rep=rep, team=self._team_now(rep), due_at=planned, facts={},
            message=f"{name}: follow-up planned for {planned.isoformat()}",
        )  # fmt: skip
        if alert is None:
            raise NotDueYet("the reminder was given already")
        return self._save(alert)
