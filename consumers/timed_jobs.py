"""The jobs of the first-contact SLA, nurture's re-evaluation and follow-up reminders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from consumers.scheduler import Decision, Teams
from domain.alerts import alert_id
from domain.context import CommandContext
from domain.timed_commands import REMINDER
from projections.alerts import existing
from projections.deadlines import late_first_contacts, nurtured_before, planned_follow_ups
from projections.table_store import SqlTables

Tables = Callable[[], SqlTables]
REMINDER_CATCH_UP = timedelta(days=7)  # after downtime, reminders of follow-ups this recent


class SlaJob:
    """A first contact later than the tier allows: recorded on the lead, told to the manager."""

    def __init__(self, app: Any, tables: Tables) -> None:
        self.app, self.tables = app, tables

    def due(self, by: datetime, teams: Teams) -> list[Decision]:
        hours = [h for _, h in self.app.rules.first_contact_sla_hours]
        if not hours:
            return []
        decisions = []
        for lead_id, holder, held_since, tier in late_first_contacts(
            self.tables(), by - timedelta(hours=min(hours))
        ):
            allowed = self.app.rules.sla_hours(tier)
            due = self.app.rules.contact_due(tier, datetime.fromisoformat(held_since))
            if due < by:
                explained = (
                    f"record that {holder} missed the {allowed} h first contact with "
                    f"this {tier} lead (due {due.isoformat()}) and tell the manager"
                )
                decisions.append(Decision("sla_breach", str(lead_id), holder, due, explained,
                                          {"tier": tier, "sla_hours": allowed}))  # fmt: skip
        return decisions

    def carry_out(self, decision: Decision, ctx: CommandContext, teams: Teams) -> None:
        self.app.record_contact_overdue(ctx, UUID(decision.subject_id))


class ReevaluationJob:
    """A lead nurtured long enough goes back to the pool to be scored again."""

    def __init__(self, app: Any, tables: Tables) -> None:
        self.app, self.tables = app, tables

    def due(self, by: datetime, teams: Teams) -> list[Decision]:
        after = timedelta(days=self.app.nurture_policy().review_after_days)
        decisions = []
        for lead_id, nurtured_at, rep in nurtured_before(self.tables(), by - after):
            due = datetime.fromisoformat(nurtured_at) + after
            explained = (
                f"bring the lead back from nurture to the pool to be scored again: "
                f"nurtured since {nurtured_at}, {after.days} days"
            )
            decisions.append(Decision("re_evaluation", str(lead_id), rep, due, explained,
                                      {"nurture_days": after.days}))  # fmt: skip
        return decisions

    def carry_out(self, decision: Decision, ctx: CommandContext, teams: Teams) -> None:
        days = self.app.nurture_policy().review_after_days
        self.app.reevaluate_lead(ctx, UUID(decision.subject_id), after=timedelta(days=days))


class ReminderJob:
    """A reminder to the rep 24 hours before each follow-up they planned."""

    def __init__(self, app: Any, tables: Tables) -> None:
        self.app, self.tables = app, tables

    def due(self, by: datetime, teams: Teams) -> list[Decision]:
        planned = planned_follow_ups(self.tables(), by - REMINDER_CATCH_UP, by + REMINDER)
        ids = {str(alert_id("follow_up_due", str(row[1]), _utc(row[3]))): row for row in planned}
        given = existing(self.tables(), list(ids))
        decisions = []
        for key, (kind, subject, rep, at) in ids.items():
            if key in given:
                continue
            when = datetime.fromisoformat(at)
            explained = f"remind {rep} of the follow-up planned for {at} on this {kind}"
            decisions.append(Decision("follow_up_due", str(subject), rep, when - REMINDER,
                                      explained, {"subject_type": kind}))  # fmt: skip
        return decisions

    def carry_out(self, decision: Decision, ctx: CommandContext, teams: Teams) -> None:
        subject = (decision.facts["subject_type"], UUID(decision.subject_id))
        self.app.remind_of_follow_up(ctx, subject)


def _utc(at: str) -> str:
    """The occasion as the command computes it: the planned time in UTC."""
    return datetime.fromisoformat(at).astimezone(UTC).isoformat()
