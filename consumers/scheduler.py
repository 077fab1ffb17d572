"""The scheduler: the time-driven decisions of the pool rules, issued as ordinary commands by
`system:scheduler`.

A pass finds its work through the deadline index (`projections.deadlines`), decides on each
candidate with the same pure function the lead's view uses, and runs one command per decision.
Each command decides again on the lead's own state, so a read model that lags (a follow-up not
yet projected), a second scheduler running the same pass, or a pass killed half-way changes
nothing it should not: the command is refused, or was done already, and the next pass starts
from what the store holds. There is no position to keep, so downtime needs no recovery: the
first pass after it does what fell due meanwhile, each event recording when it fell due.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.context import SCHEDULER, Clock, CommandContext
from domain.errors import NotAllowedNow, NotFound
from domain.pool_clock import ReturnDeadline, return_deadline
from projections.deadlines import idle_leads
from projections.table_store import SqlTables

log = logging.getLogger("salesledger.scheduler")
RETURN, WARN = "return_to_pool", "return_warning"


@dataclass(frozen=True)
class Decision:
    """One thing the scheduler does (or would do): return a lead, or warn its holder."""

    action: str
    lead_id: UUID
    rep: str
    falls_at: datetime  # when it falls due
    deadline: ReturnDeadline

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "lead_id": str(self.lead_id),
            "rep": self.rep,
            "falls_at": self.falls_at.isoformat(),
            "rule": self.deadline.rule,
            "rule_version": self.deadline.rule_version,
            "reason": self.deadline.reason,
            "due_at": self.deadline.due_at.isoformat(),
            "explained": self.explained(),
        }

    def explained(self) -> str:
        if self.action == WARN:
            return f"warn {self.rep}: the lead {self.deadline.explained()}"
        return f"take the lead from {self.rep}: it {self.deadline.explained()}"


@dataclass
class PassReport:
    """What one pass did: decisions carried out, and those the lead's own state refused."""

    done: list[Decision] = field(default_factory=list)
    refused: list[tuple[Decision, str]] = field(default_factory=list)


class Scheduler:
    """The pool rules' deadlines, found and carried out."""

    def __init__(
        self,
        app: Any,
        tables: Callable[[], SqlTables],
        teams: Callable[[], Mapping[str, str | None]],
        clock: Clock,
        *,
        refresh: Callable[[], None] = lambda: None,
    ) -> None:
        self.app = app
        self.tables = tables  # the ledger, as fresh as its delivery keeps it
        self.teams = teams  # the user directory's teams, behind the recorded memberships
        self.clock = clock
        self.refresh = refresh  # in-process delivery, so the index shows what the store holds

    def preview(self, by: datetime) -> list[Decision]:
        """Every decision due by `by` as things stand now, changing nothing."""
        self.refresh()
        rules = self.app.pool_rules()
        teams = self.teams()
        decisions = []
        for idle in idle_leads(self.tables(), rules, by):
            facts = idle.facts
            assert facts.holder is not None
            team = self.app.team_of(facts.holder, teams)
            deadline = return_deadline(replace(facts, team=team), rules)
            decision = _decision(UUID(idle.lead_id), facts.holder, deadline, idle.warned, by)
            if decision is not None:
                decisions.append(decision)
        return sorted(decisions, key=lambda d: (d.falls_at, str(d.lead_id)))

    def run_once(self) -> PassReport:
        """One pass: every decision due now, each as a command of its own."""
        now = self.clock.now()
        report = PassReport()
        teams = self.teams()
        for decision in self.preview(now):
            ctx = CommandContext(SCHEDULER, now, _correlation(decision))
            command = (
                self.app.return_lead_when_due
                if decision.action == RETURN
                else self.app.warn_of_lead_return
            )
            try:
                command(ctx, decision.lead_id, teams)
            except (NotAllowedNow, NotFound) as refusal:
                report.refused.append((decision, str(refusal)))
            else:
                report.done.append(decision)
        if report.done or report.refused:
            log.info("scheduler pass: %d done, %d refused", len(report.done), len(report.refused))
        return report

    def run_forever(self, interval: float, stop: threading.Event) -> None:
        """A pass every `interval` seconds until `stop` is set; a failed pass is logged and
        the next one tries again (each decision is a command of its own: nothing half-done)."""
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("scheduler pass failed; trying again in %s s", interval)
            stop.wait(interval)


def _decision(
    lead_id: UUID,
    rep: str,
    deadline: ReturnDeadline | None,
    warned_due_at: datetime | None,
    by: datetime,
) -> Decision | None:
    if deadline is None:
        return None
    if deadline.due_at <= by:
        return Decision(RETURN, lead_id, rep, deadline.due_at, deadline)
    if deadline.warn_at <= by and warned_due_at != deadline.due_at:
        return Decision(WARN, lead_id, rep, deadline.warn_at, deadline)
    return None


def _correlation(decision: Decision) -> str:
    """The same decision gets the same correlation id, whichever scheduler makes it."""
    due = decision.deadline.due_at.isoformat()
    return f"{SCHEDULER}:{decision.action}:{decision.lead_id}:{due}"
