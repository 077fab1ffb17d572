"""`GET /leads/{id}/why`: every automatic decision about a lead and every deadline in force,
in plain words, from its history and the rules in force."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain.leads import Lead
from domain.pool_clock import ReturnDeadline
from domain.scoring import ScoringRules

Envelope = dict[str, Any]


def decisions(history: list[Envelope]) -> list[dict[str, Any]]:
    """The lead's events a rule decided (an assignment rule, a pool rule, its warning)."""
    found = []
    for envelope in history:
        data = envelope["data"]
        explained = _explained(envelope["type"], data)
        if explained is not None:
            found.append({
                "at": envelope["occurred_at"], "type": envelope["type"],
                "actor": envelope["actor"], "version": envelope["aggregate_version"],
                "rule": data.get("rule"), "rule_version": data.get("rule_version"),
                "explained": explained,
            })  # fmt: skip
    return found


def _explained(event_type: str, data: dict[str, Any]) -> str | None:
    rule = f"rule {data.get('rule')!r} v{data.get('rule_version')}"
    if event_type == "LeadReturnedToPool" and data.get("rule"):
        without = "a follow-up" if data["reason"] == "no_follow_up" else "becoming an opportunity"
        return (
            f"returned to the pool from {data['rep']} under {rule}: {data.get('idle_days')} days "
            f"without {without} (due {data.get('due_at')})"
        )
    if event_type == "LeadReturnedToPool" and data["reason"] == "rep_left":
        return f"returned to the pool because {data['rep']} left"
    if event_type == "LeadReturnWarned":
        due = data["due_at"]
        return f"{data['rep']} warned that the lead returns to the pool on {due} ({rule})"
    if event_type == "LeadAssigned" and data.get("rule"):
        return f"assigned by {rule} to {data['rep']}" + _turns(data.get("candidates") or [])
    return None


def _turns(candidates: list[dict[str, Any]]) -> str:
    """ ", round robin over 4 reps, rita skipped at the limit of 50 leads held"."""
    if len(candidates) <= 1 and not any(c["skipped"] for c in candidates):
        return ""
    skipped = [f"{c['rep']} skipped {c['skipped']}" for c in candidates
               if c["skipped"] and c["skipped"] != "later in turn"]  # fmt: skip
    return f", round robin over {len(candidates)} reps" + "".join(f", {s}" for s in skipped)


def deadlines(
    lead: Lead,
    returning: ReturnDeadline | None,
    scoring: ScoringRules,
    now: datetime,
    nurture_days: int,
) -> list[dict[str, Any]]:
    """The deadlines in force: the return to the pool, the first contact, the next follow-up,
    a nurtured lead's re-evaluation."""
    found: list[dict[str, Any]] = []
    if lead.nurtured_at is not None:
        due = lead.nurtured_at + timedelta(days=nurture_days)
        found.append({
            "kind": "re_evaluation", "due_at": due,
            "explained": f"in nurture since {lead.nurtured_at.isoformat()}: back to the pool "
                         f"to be scored again on {due.isoformat()} ({nurture_days} days)",
        })  # fmt: skip
    if returning is not None:
        found.append({
            "kind": "return_to_pool", "due_at": returning.due_at, "warn_at": returning.warn_at,
            "rule": returning.rule, "rule_version": returning.rule_version,
            "reason": returning.reason, "explained": returning.explained(),
        })  # fmt: skip
    contact_due = lead.contact_due_at(scoring)
    if contact_due is not None:
        state = contact_state(lead, contact_due, now)
        found.append({
            "kind": "first_contact", "due_at": contact_due, "state": state,
            "explained": f"first contact with this {lead.tier} lead due by "
                         f"{contact_due.isoformat()} ({lead.holder} got it "
                         f"{lead.held_since.isoformat() if lead.held_since else '?'}): {state}",
        })  # fmt: skip
    if lead.next_follow_up_at is not None and lead.holder is not None:
        found.append({
            "kind": "follow_up", "due_at": lead.next_follow_up_at,
            "explained": f"{lead.holder} planned the next follow-up for "
                         f"{lead.next_follow_up_at.isoformat()}",
        })  # fmt: skip
    return found


def contact_state(lead: Lead, due: datetime, now: datetime) -> str:
    """`met`, `breached` or `pending`: the first contact since the holder got the lead."""
    first = lead.first_contact_at
    if first is not None:
        return "met" if first <= due else "breached"
    return "breached" if now > due else "pending"
