"""`GET /me/agenda`: what a rep has to do next — follow-ups due in the next 24 hours and those
overdue, leads whose return to the pool is near, first contacts due, and their open alerts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from api.bootstrap import Container
from api.users import User
from domain.pool_clock import HeldLead, return_deadline
from projections.alerts import AlertScope, alerts
from projections.deadlines import deals_to_follow_up, held_by
from projections.table_store import SqlTables

AHEAD = timedelta(hours=24)  # follow-ups due within this
RETURN_NEAR = timedelta(days=3)  # leads going back to the pool within this


def agenda(container: Container, tables: SqlTables, user: User, now: datetime) -> dict[str, Any]:
    app = container.app
    leads = held_by(tables, user.name)
    team = user.team
    rules = app.pool_rules()
    follow_ups, returns, contacts = [], [], []
    for lead in leads:
        planned = _time(lead["next_follow_up_at"])
        if planned is not None and planned <= now + AHEAD:
            follow_ups.append(_follow_up("lead", lead["lead_id"], lead["company"], planned, now))
        deadline = return_deadline(_held(lead, user.name, team), rules)
        if deadline is not None and deadline.due_at <= now + RETURN_NEAR:
            returns.append({"lead_id": lead["lead_id"], "company": lead["company"],
                            "return_due_at": deadline.due_at, "rule": deadline.rule,
                            "rule_version": deadline.rule_version,
                            "explained": deadline.explained()})  # fmt: skip
        hours = app.rules.sla_hours(lead["tier"])
        if hours is not None and lead["first_contact_at"] is None:
            due = _time(lead["held_since"]) + timedelta(hours=hours)  # type: ignore[operator]
            contacts.append({"lead_id": lead["lead_id"], "company": lead["company"],
                             "tier": lead["tier"], "contact_due_at": due,
                             "state": "breached" if due < now else "pending"})  # fmt: skip
    for deal, name, planned in deals_to_follow_up(tables, user.name, now + AHEAD):
        follow_ups.append(_follow_up("opportunity", deal, name, _time(planned), now))
    mine, total = alerts(tables, AlertScope(rep=user.name), page=(0, 100))
    return {
        "rep": user.name, "at": now,
        "follow_ups": sorted(follow_ups, key=lambda f: f["due_at"]),
        "returns": sorted(returns, key=lambda r: r["return_due_at"]),
        "first_contacts": sorted(contacts, key=lambda c: c["contact_due_at"]),
        "alerts": mine, "alerts_total": total,
    }  # fmt: skip


def _follow_up(kind: str, id_: Any, name: str, due: Any, now: datetime) -> dict[str, Any]:
    return {"kind": kind, "id": str(id_), "name": name, "due_at": due, "overdue": due < now}


def _held(lead: dict[str, Any], rep: str, team: str | None) -> HeldLead:
    return HeldLead(
        holder=rep, status=lead["status"], held_since=_time(lead["held_since"]),
        last_follow_up_at=_time(lead["touched_at"]), team=team, tier=lead["tier"],
        source=lead["source"],
    )  # fmt: skip


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
