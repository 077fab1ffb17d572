"""The index the scheduler finds its work through: held leads idle long enough that a pool
rule may return them, or warn their holder, by a given moment.

Every deadline is the lead's `touched_at` or `held_since` plus a rule's days (never earlier:
a rule's start only moves it later), so the leads whose deadline can have fallen by T are those
touched before T minus the shortest rule; two index range scans find them, never a scan of
every lead. Which rule applies, and whether it has fallen, the scheduler then decides on each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.pool_clock import RETURNING_STATUSES, HeldLead
from domain.rules import PoolRules
from projections.reports.sql import moment
from projections.table_store import SqlTables

COLUMNS = "lead_id, holder, status, held_since, touched_at, tier, source, warned_due_at"


@dataclass(frozen=True)
class IdleLead:
    lead_id: str
    facts: HeldLead  # with the holder's team still to be filled in
    warned: datetime | None  # the deadline its holder was last warned of


def idle_leads(tables: SqlTables, rules: PoolRules, by: datetime) -> list[IdleLead]:
    """The held leads a pool rule can return or warn of by `by`, oldest first."""
    if not rules.rules:
        return []
    earliest = min(r.idle_days - r.warn_days for r in rules.rules)
    statuses = ", ".join(f"'{s}'" for s in RETURNING_STATUSES)
    queries, params = [_range("touched_at", statuses)], [moment(by - timedelta(days=earliest))]
    opportunity = [r.no_opportunity_days - r.warn_days for r in rules.rules
                   if r.no_opportunity_days is not None]  # fmt: skip
    if opportunity:
        queries.append(_range("held_since", statuses))
        params.append(moment(by - timedelta(days=min(opportunity))))
    rows = tables.read(" UNION ".join(queries) + " ORDER BY touched_at, lead_id", params)
    return [_idle(row) for row in rows]


def _range(column: str, statuses: str) -> str:
    return (
        f"SELECT {COLUMNS} FROM rm_lead WHERE {column} <= ? AND holder IS NOT NULL "
        f"AND status IN ({statuses})"
    )


def _idle(row: tuple) -> IdleLead:
    lead_id, holder, status, held_since, touched_at, tier, source, warned = row
    facts = HeldLead(
        holder=holder, status=status, held_since=datetime.fromisoformat(held_since),
        last_follow_up_at=datetime.fromisoformat(touched_at), team=None, tier=tier,
        source=source,
    )  # fmt: skip
    return IdleLead(str(lead_id), facts, None if warned is None else datetime.fromisoformat(warned))
