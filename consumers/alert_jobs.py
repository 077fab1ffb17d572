"""The jobs that only tell someone: a rep gone quiet, a high-value lead left alone, a deal
longer in its stage than the stage's expected days. Each alert is raised once per occasion
(the last follow-up, the last change, the stage entered), so it is not repeated every pass."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from consumers.scheduler import Decision, Teams
from domain.alerts import alert_id
from domain.context import CommandContext
from domain.roster import Member
from projections.alerts import existing
from projections.deadlines import (
    deals_in_stage_since,
    last_follow_ups,
    product_lines,
    untouched_leads,
)
from projections.table_store import SqlTables

Tables = Callable[[], SqlTables]
QUIET_WINDOW = timedelta(days=90)  # a rep silent for longer than this was told of it before


class AlertJob(ABC):
    """Raises each decision's alert (`facts["alert"]`: the arguments of `raise_alert`)."""

    def __init__(self, app: Any, tables: Tables) -> None:
        self.app, self.tables = app, tables

    def due(self, by: datetime, teams: Teams) -> list[Decision]:
        found = self.candidates(by, teams)
        ids = [str(alert_id(d.action, d.facts["alert"]["subject"][1], d.facts["alert"]["occasion"]))
               for d in found]  # fmt: skip
        given = existing(self.tables(), ids)
        return [d for d, key in zip(found, ids, strict=True) if key not in given]

    @abstractmethod
    def candidates(self, by: datetime, teams: Teams) -> list[Decision]:
        """The alerts due by `by`, whether raised already or not."""

    def carry_out(self, decision: Decision, ctx: CommandContext, teams: Teams) -> None:
        self.app.raise_alert(ctx, kind=decision.action, **decision.facts["alert"])


class QuietRepJob(AlertJob):
    def candidates(self, by: datetime, teams: Teams) -> list[Decision]:
        days = self.app.alert_policy().quiet_rep_days
        last = last_follow_ups(self.tables(), by - QUIET_WINDOW)
        reps = [m for m in self.app.roster() if _is_active_rep(m)]
        decisions = []
        for rep in reps:
            at = last.get(rep.name)
            if at is None or datetime.fromisoformat(at) + timedelta(days=days) > by:
                continue
            falls = datetime.fromisoformat(at) + timedelta(days=days)
            message = f"{rep.name} has logged no follow-up for {days} days (the last: {at})"
            alert = {
                "occasion": at,
                "subject": ("rep", rep.name),
                "rep": rep.name,
                "team": teams.get(rep.name),
                "audience": "manager",
                "message": message,
                "facts": {"days": days, "last_follow_up_at": at},
            }
            decisions.append(
                Decision(
                    "quiet_rep",
                    rep.name,
                    rep.name,
                    falls,
                    f"tell the manager: {message}",
                    {"alert": alert},
                )
            )
        return decisions  # fmt: skip


class UntouchedLeadJob(AlertJob):
    def candidates(self, by: datetime, teams: Teams) -> list[Decision]:
        days = self.app.alert_policy().untouched_lead_days
        decisions = []
        for lead_id, holder, changed, company in untouched_leads(
            self.tables(), "high", by - timedelta(days=days)
        ):
            falls = datetime.fromisoformat(changed) + timedelta(days=days)
            who = holder or "nobody (it is in the pool)"
            message = f"{company}: a high-value lead held by {who}, not updated for {days} days"
            alert = {
                "occasion": changed,
                "subject": ("lead", str(lead_id)),
                "rep": holder,
                "team": holder and teams.get(holder),
                "audience": "manager",
                "message": message,
                "facts": {"days": days, "last_change_at": changed},
            }
            decisions.append(
                Decision(
                    "untouched_lead",
                    str(lead_id),
                    holder,
                    falls,
                    f"tell the manager: {message}",
                    {"alert": alert},
                )
            )
        return decisions  # fmt: skip


class StaleDealJob(AlertJob):
    def candidates(self, by: datetime, teams: Teams) -> list[Decision]:
        decisions = []
        for line in product_lines(self.tables()):
            for stage in self.app.stages_for(line).stages:
                if stage.expected_days is None:
                    continue
                days = stage.expected_days
                for deal, owner, since, name in deals_in_stage_since(
                    self.tables(), line, stage.key, by - timedelta(days=days)
                ):
                    falls = datetime.fromisoformat(since) + timedelta(days=days)
                    message = (
                        f"{name} has been in {stage.name} since {since}, longer than "
                        f"its {days} days"
                    )
                    alert = {
                        "occasion": since,
                        "subject": ("opportunity", str(deal)),
                        "rep": owner,
                        "team": teams.get(owner),
                        "message": message,
                        "due_at": falls,
                        "facts": {"stage": stage.key, "expected_days": days},
                    }
                    decisions.append(
                        Decision(
                            "stale_deal",
                            str(deal),
                            owner,
                            falls,
                            f"tell {owner}: {message}",
                            {"alert": alert},
                        )
                    )
        return decisions  # fmt: skip


def _is_active_rep(member: Member) -> bool:
    return member.active and member.role == "rep"
