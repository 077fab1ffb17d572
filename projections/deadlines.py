"""The indexes the scheduler finds its work through: held leads idle long enough that a pool
rule may return them (or warn their holder), first contacts running late, nurtured leads due
again, follow-ups coming up, reps gone quiet, leads and deals left alone. Each is an index
range scan of the ledger's current tables, never a scan of every lead.

Every pool deadline is the lead's `touched_at` or `held_since` plus a rule's days (never earlier:
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
    facts = held_facts(holder, status, held_since, touched_at, tier, source)
    return IdleLead(str(lead_id), facts, None if warned is None else datetime.fromisoformat(warned))


def held_facts(
    holder: str,
    status: str,
    held_since: str,
    touched_at: str | None,
    tier: str | None,
    source: str | None,
    team: str | None = None,
) -> HeldLead:
    """What a pool rule looks at, from a held lead's ledger row (`touched_at`: when its holder
    got it or last followed it up)."""
    return HeldLead(
        holder=holder, status=status, held_since=datetime.fromisoformat(held_since),
        last_follow_up_at=datetime.fromisoformat(touched_at or held_since), team=team,
        tier=tier, source=source,
    )  # fmt: skip


def late_first_contacts(tables: SqlTables, held_before: datetime) -> list[tuple]:
    """Held leads with an SLA tier, not contacted since their holder got them before
    `held_before`, and not yet recorded as breached: (lead_id, holder, held_since, tier)."""
    statuses = ", ".join(f"'{s}'" for s in RETURNING_STATUSES)
    return tables.read(
        "SELECT lead_id, holder, held_since, tier FROM rm_lead WHERE held_since <= ? "
        f"AND holder IS NOT NULL AND status IN ({statuses}) AND first_contact_at IS NULL "
        "AND contact_overdue_at IS NULL AND tier IN ('high', 'medium') ORDER BY held_since",
        [moment(held_before)],
    )


def nurtured_before(tables: SqlTables, before: datetime) -> list[tuple]:
    """Leads in nurture since before `before`: (lead_id, nurtured_at, previous_rep)."""
    return tables.read(
        "SELECT lead_id, nurtured_at, previous_rep FROM rm_lead WHERE nurtured_at <= ? "
        "AND status = 'nurturing' ORDER BY nurtured_at",
        [moment(before)],
    )


def planned_follow_ups(tables: SqlTables, after: datetime, until: datetime) -> list[tuple]:
    """Follow-ups planned in (after, until] on held leads and open deals:
    (kind, id, rep, next_follow_up_at)."""
    statuses = ", ".join(f"'{s}'" for s in RETURNING_STATUSES)
    window = [moment(after), moment(until)]
    return tables.read(
        "SELECT 'lead', lead_id, holder, next_follow_up_at FROM rm_lead "
        "WHERE next_follow_up_at > ? AND next_follow_up_at <= ? AND holder IS NOT NULL "
        f"AND status IN ({statuses}) UNION ALL "
        "SELECT 'opportunity', opportunity_id, owner, next_follow_up_at FROM rm_opportunity "
        "WHERE next_follow_up_at > ? AND next_follow_up_at <= ? AND status = 'open' "
        "ORDER BY 4",
        window + window,
    )


def last_follow_ups(tables: SqlTables, since: datetime) -> dict[str, str]:
    """Each rep's last follow-up since `since` (a window: the facts before it are not read)."""
    rows = tables.read(
        "SELECT rep, MAX(at) FROM rm_activity WHERE kind IN ('LeadFollowedUp', "
        "'OpportunityFollowedUp') AND at >= ? GROUP BY rep",
        [moment(since)],
    )
    return {rep: at for rep, at in rows if rep is not None}


def untouched_leads(tables: SqlTables, tier: str, before: datetime) -> list[tuple]:
    """Active leads of the tier whose last change was before `before`:
    (lead_id, holder, valid_from, company)."""
    statuses = ", ".join(f"'{s}'" for s in RETURNING_STATUSES)
    return tables.read(
        "SELECT lead_id, holder, valid_from, company FROM rm_lead WHERE tier = ? "
        f"AND valid_from <= ? AND status IN ({statuses}) ORDER BY valid_from",
        [tier, moment(before)],
    )


def deals_in_stage_since(
    tables: SqlTables, product_line: str, stage: str, before: datetime
) -> list[tuple]:
    """Open deals of the line in `stage` since before `before`:
    (opportunity_id, owner, stage_since, name)."""
    return tables.read(
        "SELECT opportunity_id, owner, stage_since, name FROM rm_opportunity "
        "WHERE status = 'open' AND stage = ? AND product_line = ? AND stage_since <= ? "
        "ORDER BY stage_since",
        [stage, product_line, moment(before)],
    )


def product_lines(tables: SqlTables) -> list[str]:
    """The product lines of the open deals (each has its pipeline, or the default one)."""
    rows = tables.read("SELECT DISTINCT product_line FROM rm_opportunity WHERE status = 'open'")
    return sorted(line for (line,) in rows)


def held_by(tables: SqlTables, rep: str) -> list[dict[str, str | None]]:
    """The active leads the rep holds, with what their deadlines are made of."""
    statuses = ", ".join(f"'{s}'" for s in RETURNING_STATUSES)
    columns = ("lead_id", "company", "status", "held_since", "touched_at", "tier", "source",
               "next_follow_up_at", "first_contact_at")  # fmt: skip
    rows = tables.read(
        f"SELECT {', '.join(columns)} FROM rm_lead WHERE holder = ? AND status IN ({statuses}) "
        "ORDER BY held_since, lead_id",
        [rep],
    )
    return [dict(zip(columns, row, strict=True)) for row in rows]


def deals_to_follow_up(tables: SqlTables, owner: str, until: datetime) -> list[tuple]:
    """The owner's open deals with a follow-up planned by `until` (overdue ones too):
    (opportunity_id, name, next_follow_up_at)."""
    return tables.read(
        "SELECT opportunity_id, name, next_follow_up_at FROM rm_opportunity WHERE owner = ? "
        "AND status = 'open' AND next_follow_up_at <= ? ORDER BY next_follow_up_at",
        [owner, moment(until)],
    )
