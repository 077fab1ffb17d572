"""`GET /me/agenda`: what a rep has to do next — follow-ups due in the next 24 hours and those
overdue, leads whose return to the pool is near, first contacts due, and their open alerts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from api.bootstrap import Container
from api.users import User
from domain.pool_clock import return_deadline
from projections.alerts import AlertScope, alerts
from projections.deadlines import deals_to_follow_up, held_by, held_facts
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
        facts = held_facts(user.name, lead["status"], lead["held_since"], lead["touched_at"],
                           lead["tier"], lead["source"], team)  # fmt: skip
        planned = _time(lead["next_follow_up_at"])
        if planned is not None and planned <= now + AHEAD:
            follow_ups.append(_follow_up("lead", lead["lead_id"], lead["company"], planned, now))
        deadline = return_deadline(facts, rules)
        if deadline is not None and deadline.due_at <= now + RETURN_NEAR:
            returns.append({"lead_id": lead["lead_id"], "company": lead["company"],
                            "return_due_at": deadline.due_at, "rule": deadline.rule,
                            "rule_version": deadline.rule_version,
                            "explained": deadline.explained()})  # fmt: skip
        due = app.rules.contact_due(lead["tier"], facts.held_since)
        if due is not None and lead["first_contact_at"] is None:
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


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
