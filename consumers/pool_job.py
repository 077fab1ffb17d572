"""The pool rules' job: held leads back to the pool when their deadline falls, and their
holders warned before."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from consumers.scheduler import Decision, Teams
from domain.context import CommandContext
from domain.pool_clock import ReturnDeadline, return_deadline
from domain.rules import PoolRules
from projections.deadlines import idle_leads
from projections.table_store import SqlTables

RETURN, WARN = "return_to_pool", "return_warning"


class PoolJob:
    batched = frozenset({RETURN})

    def __init__(self, app: Any, tables: Callable[[], SqlTables]) -> None:
        self.app = app
        self.tables = tables
        self.rules: PoolRules | None = None  # as the last `due` read them: one read a pass

    def due(self, by: datetime, teams: Teams) -> list[Decision]:
        rules = self.rules = self.app.pool_rules()
        decisions = []
        for idle in idle_leads(self.tables(), rules, by):
            facts = idle.facts
            assert facts.holder is not None
            deadline = return_deadline(replace(facts, team=teams.get(facts.holder)), rules)
            decision = _decision(idle.lead_id, facts.holder, deadline, idle.warned, by)
            if decision is not None:
                decisions.append(decision)
        return decisions

    def carry_out(self, decision: Decision, ctx: CommandContext, teams: Teams) -> None:
        lead = UUID(decision.subject_id)
        if decision.action == RETURN:
            self.app.return_lead_when_due(ctx, lead, teams, self.rules)
        else:
            self.app.warn_of_lead_return(ctx, lead, teams, self.rules)

    def carry_out_all(
        self, decisions: list[Decision], ctx: CommandContext, teams: Teams
    ) -> dict[str, str]:
        leads = [UUID(d.subject_id) for d in decisions]
        refused = self.app.return_leads_when_due(ctx, leads, teams, self.rules)
        return {str(lead): reason for lead, reason in refused.items()}


def _decision(
    lead_id: str,
    rep: str,
    deadline: ReturnDeadline | None,
    warned_due_at: datetime | None,
    by: datetime,
) -> Decision | None:
    if deadline is None:
        return None
    facts = {"rule": deadline.rule, "rule_version": deadline.rule_version,
             "reason": deadline.reason, "due_at": deadline.due_at.isoformat()}  # fmt: skip
    if deadline.due_at <= by:
        explained = f"take the lead from {rep}: it {deadline.explained()}"
        return Decision(RETURN, lead_id, rep, deadline.due_at, explained, facts)
    if deadline.warn_at <= by and warned_due_at != deadline.due_at:
        explained = f"warn {rep}: the lead {deadline.explained()}"
        return Decision(WARN, lead_id, rep, deadline.warn_at, explained, facts)
    return None
