"""The scheduler: the time-driven decisions of the rules, issued as ordinary commands by
`system:scheduler`.

A pass asks each job for what falls due, found through the ledger's indexes (never a scan of
every lead), and runs one command per decision. Each command decides again on the aggregate's
own state, so a read model that lags (a follow-up not yet projected), a second scheduler
running the same pass, or a pass killed half-way changes nothing it should not: the command
is refused, or was done already, and the next pass starts from what the store holds. There is
no position to keep, so downtime needs no recovery: the first pass after it does what fell due
meanwhile, each event recording when it fell due.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from consumers.logs import log_event
from domain.context import SCHEDULER, Clock, CommandContext
from domain.errors import NotAllowedNow, NotFound

log = logging.getLogger("salesledger.scheduler")
Teams = Mapping[str, str | None]
BATCH = 100  # decisions of one kind saved together: a commit per hundred, not per lead


@dataclass(frozen=True)
class Decision:
    """One thing the scheduler does (or would do), about one lead, deal or rep."""

    action: str  # return_to_pool, return_warning, sla_breach, re_evaluation, ...
    subject_id: str
    rep: str | None
    falls_at: datetime  # when it falls due
    explained: str
    facts: dict[str, Any] = field(default_factory=dict)  # the rule, its version, the days

    def as_json(self) -> dict[str, Any]:
        facts = {k: v for k, v in self.facts.items() if k != "alert"}  # the command's arguments
        return {
            "action": self.action, "subject_id": self.subject_id, "rep": self.rep,
            "falls_at": self.falls_at.isoformat(), **facts, "explained": self.explained,
        }  # fmt: skip


class Job(Protocol):
    """One kind of decision: what falls due by a moment, and the command that carries it out."""

    def due(self, by: datetime, teams: Teams) -> list[Decision]: ...

    def carry_out(self, decision: Decision, ctx: CommandContext, teams: Teams) -> None: ...


class BatchJob(Job, Protocol):
    """A job whose decisions of one action can be carried out many in one save."""

    batched: frozenset[str]  # the actions it carries out in batches

    def carry_out_all(
        self, decisions: list[Decision], ctx: CommandContext, teams: Teams
    ) -> dict[str, str]:
        """Carries out the decisions (one save); returns the refused ones' reasons by subject."""


@dataclass
class PassReport:
    """What one pass did: decisions carried out, and those the aggregate's own state refused."""

    done: list[Decision] = field(default_factory=list)
    refused: list[tuple[Decision, str]] = field(default_factory=list)


class Scheduler:
    """The jobs' decisions, found and carried out."""

    def __init__(
        self,
        jobs: Sequence[Job],
        teams: Callable[[], Teams],
        clock: Clock,
        *,
        refresh: Callable[[], None] = lambda: None,
    ) -> None:
        self.jobs = list(jobs)
        self.teams = teams  # the user directory's teams, behind the recorded memberships
        self.clock = clock
        self.refresh = refresh  # in-process delivery, so the indexes show what the store holds

    def preview(self, by: datetime) -> list[Decision]:
        """Every decision due by `by` as things stand now, changing nothing."""
        return [decision for _, decision in self._due(by, self.teams())]

    def run_once(self) -> PassReport:
        """One pass: every decision due now, each as a command of its own."""
        now = self.clock.now()
        report = PassReport()
        teams = self.teams()
        batches: dict[tuple[int, str], tuple[BatchJob, list[Decision]]] = {}
        for job, decision in self._due(now, teams):
            if decision.action in getattr(job, "batched", ()):
                batch = batches.setdefault((id(job), decision.action), (job, []))  # type: ignore[arg-type]
                batch[1].append(decision)
                continue
            ctx = CommandContext(SCHEDULER, now, _correlation(decision))
            try:
                job.carry_out(decision, ctx, teams)
            except (NotAllowedNow, NotFound) as refusal:
                report.refused.append((decision, str(refusal)))
            else:
                report.done.append(decision)
        for job, decisions in batches.values():
            for start in range(0, len(decisions), BATCH):
                chunk = decisions[start : start + BATCH]
                ctx = CommandContext(SCHEDULER, now, _correlation(chunk[0]))
                refused = job.carry_out_all(chunk, ctx, teams)
                for decision in chunk:
                    if decision.subject_id in refused:
                        report.refused.append((decision, refused[decision.subject_id]))
                    else:
                        report.done.append(decision)
        done: dict[str, int] = {}
        for decision in report.done:
            done[decision.action] = done.get(decision.action, 0) + 1
        # every pass, for the metrics; a pass with nothing due only at debug level
        refused, due = len(report.refused), len(report.done) + len(report.refused)
        level = logging.INFO if due else logging.DEBUG
        log_event(log, "scheduler.pass", due=due, done=done, refused=refused, level=level)
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

    def _due(self, by: datetime, teams: Teams) -> list[tuple[Job, Decision]]:
        self.refresh()
        found = [(job, d) for job in self.jobs for d in job.due(by, teams)]
        return sorted(found, key=lambda pair: (pair[1].falls_at, pair[1].subject_id))


def _correlation(decision: Decision) -> str:
    """The same decision gets the same correlation id, whichever scheduler makes it."""
    return f"{SCHEDULER}:{decision.action}:{decision.subject_id}:{decision.falls_at.isoformat()}"
