"""Lead conversion per source: captured → contacted within the SLA → converted → won."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from projections.filters import ReportFilter
from projections.ledger import CAPTURE_GROUP, LEAD_CAPTURE_COUNTS
from projections.reports.sql import (
    moment,
    period,
    rate,
    rows_at,
)
from projections.table_store import SqlTables
from projections.teams import TeamHistory


@dataclass(frozen=True)
class ConversionStep:
    source: str
    captured: int
    contacted_within_sla: int
    converted: int
    won: int
    conversion_rate: float | None
    win_rate_of_converted: float | None


def lead_conversion(
    tables: SqlTables,
    as_of: datetime | None,
    since: datetime | None,
    until: datetime | None,
    filters: ReportFilter,
    teams: TeamHistory,
) -> list[ConversionStep]:
    """Per source, leads captured in [since, until) and the chain as it stood at `as_of`:
    first contact within the SLA → converted to an opportunity → won."""
    chains: dict[str, list[int]] = {}
    for (source, within), (leads, converted, won) in outcome_counts(
        tables, as_of, since, until, filters, teams
    ).items():
        chain = chains.setdefault(source, [0, 0, 0, 0])
        chain[0] += leads
        chain[1] += leads if within is True else 0
        chain[2] += converted
        chain[3] += won
    return [
        ConversionStep(source, c[0], c[1], c[2], c[3], rate(c[2], c[0]), rate(c[3], c[2]))
        for source, c in sorted(chains.items())
    ]


def outcome_counts(
    tables: SqlTables,
    as_of: datetime | None,
    since: datetime | None,
    until: datetime | None,
    filters: ReportFilter,
    teams: TeamHistory,
) -> dict[tuple[str, bool | None], list[int]]:
    """The leads captured in [since, until), by source and first contact within the SLA
    (None: no SLA for the tier, or no contact yet): how many, how many converted and won, as
    things stood at `as_of`. Counted by the database unless a rep or team picks the leads
    (by who held each when): a period's thousands of leads were a third of the report as
    Python objects."""
    counts: dict[tuple[str, bool | None], list[int]] = {}
    if filters.rep or filters.team:
        for lead in lead_outcomes(tables, as_of, since, until, filters, teams):
            cell = counts.setdefault((lead.source, lead.within_sla), [0, 0, 0])
            cell[0] += 1
            cell[1] += lead.converted
            cell[2] += lead.won
        return counts
    leads, won, params = _leads_and_won(as_of, since, until)
    rows = tables.read(
        "SELECT l.source, l.first_contact_within_sla, COUNT(*), "
        "SUM(CASE WHEN l.status = 'converted' THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {won} THEN 1 ELSE 0 END) FROM {leads} GROUP BY 1, 2",
        params,
    )
    for source, within, *cells in rows:
        key = (source, None if within is None else within == 1)
        cell = counts.setdefault(key, [0, 0, 0])
        for i, n in enumerate(cells):
            cell[i] += int(n)
    return counts


def month_outcome_counts(
    tables: SqlTables,
    as_of: datetime,
    first: datetime,
    after: datetime,
    filters: ReportFilter,
    teams: TeamHistory,
) -> dict[tuple[str, bool | None], list[int]]:
    """`outcome_counts` of the leads captured in whole months, [first, after) (month starts,
    UTC), as things stood at `as_of`: from the counts the fold keeps by capture month, less
    the leads changed since `as_of` and plus their versions then, with the won leads found
    from their deals — a few dozen rows and the period's wins, where counting each lead read
    thousands (the monthly review's three months: 3,800 leads, 5.6 ms in SQLite). A rep's or
    team's leads are picked one by one, as `outcome_counts` does."""
    if filters.rep or filters.team:
        return outcome_counts(tables, as_of, first, after, filters, teams)
    rows = tables.read(*_month_counts(moment(as_of), first, after, tables.db.is_postgres))
    counts: dict[tuple[str, bool | None], list[int]] = {}
    for source, within, leads, converted, won in rows:
        if int(leads):
            key = (source or None, None if within == -1 else within == 1)
            counts[key] = [int(leads), int(converted), int(won)]
    return counts


def _month_counts(at: str, first: datetime, after: datetime, postgres: bool) -> tuple[str, list]:
    """month_outcome_counts' statement: (source, within the SLA, leads, converted, won) by
    source and first contact within the SLA (-1: none) — CAPTURE_GROUP's columns."""
    source, within, converted = CAPTURE_GROUP[1:]  # each formatted below with its alias
    grouped = f"{source} AS source, {within} AS within"
    lead = f"{grouped}, {converted} AS converted"
    won, won_params = _won_leads(at, first)
    # Each won or changed lead is searched by its key: joined to `won` or `changed` instead,
    # SQLite scans the other table whole to filter the join's keys (a Bloom filter), and
    # PostgreSQL hashes every lead of the months.
    among = "= ANY(ARRAY(SELECT lead_id FROM {}))" if postgres else "IN (SELECT lead_id FROM {})"
    among_won = among.format("won")
    # tested row by row, `won` is hashed (an array is searched from its start at every row)
    is_won = "h.lead_id IN (SELECT lead_id FROM won)"
    statement = (
        f"WITH won AS (SELECT DISTINCT lead_id FROM ({won}) AS ids), "
        # the months' leads changed since T, read once for both of their parts
        f"changed AS MATERIALIZED (SELECT lead_id, {lead.format(alias='')} FROM rm_lead "
        "WHERE captured_at >= ? AND captured_at < ? AND valid_from > ?) "
        "SELECT source, within, SUM(leads), SUM(converted), SUM(won) FROM ("
        "SELECT source, first_contact_within_sla AS within, n AS leads, "
        f"n * converted AS converted, 0 AS won FROM {LEAD_CAPTURE_COUNTS.name} "
        "WHERE captured_month >= ? AND captured_month < ? "
        # each changed lead: out of its group now, into its group at T (if captured by then)
        "UNION ALL SELECT source, within, -1, -converted, 0 FROM changed "
        f"UNION ALL SELECT {grouped.format(alias='h.')}, 1, {converted.format(alias='h.')}, "
        f"CASE WHEN {is_won} THEN 1 ELSE 0 END FROM rm_lead_history h "
        f"WHERE h.lead_id {among.format('changed')} AND h.valid_from <= ? AND h.valid_to > ? "
        # the leads won by T and unchanged since
        f"UNION ALL SELECT {grouped.format(alias='l.')}, 0, 0, 1 FROM rm_lead l "
        f"WHERE l.lead_id {among_won} AND l.captured_at >= ? AND l.captured_at < ? "
        "AND l.valid_from <= ?) AS counted GROUP BY 1, 2"
    )
    bounds = [moment(first), moment(after)]
    months = [bound[:7] for bound in bounds]
    return statement, [*won_params, *bounds, at, *months, at, at, *bounds, at]


# What an outcome needs of a lead: all of them in the current leads' (captured_at, …) index.
OUTCOME_COLUMNS = ("lead_id", "source", "rep", "first_contact_within_sla", "status",
                   "held_since", "captured_at")  # fmt: skip


@dataclass(frozen=True)
class LeadOutcome:
    source: str
    within_sla: bool | None  # None: no SLA for its tier, or not contacted yet
    converted: bool
    won: bool


def lead_outcomes(
    tables: SqlTables,
    as_of: datetime | None,
    since: datetime | None,
    until: datetime | None,
    filters: ReportFilter,
    teams: TeamHistory,
) -> list[LeadOutcome]:
    """Each lead captured in [since, until), as far as it had gone at `as_of`."""
    leads, won, params = _leads_and_won(as_of, since, until)
    rows = tables.read(
        f"SELECT l.source, l.rep, l.first_contact_within_sla, l.status, "
        f"CASE WHEN {won} THEN 1 ELSE 0 END, COALESCE(l.held_since, l.captured_at) FROM {leads}",
        params,
    )
    return [
        LeadOutcome(
            source, None if within is None else within == 1, status == "converted", deal == 1
        )  # fmt: skip
        for source, rep, within, status, deal, held_since in rows
        # a lead counts for the team its rep was in when they took it
        if not (filters.rep or filters.team) or filters.matches(rep, None, teams, held_since)
    ]


def _leads_and_won(
    as_of: datetime | None, since: datetime | None, until: datetime | None
) -> tuple[str, str, list]:
    """The leads captured in [since, until) as they stood at `as_of` (a FROM item `l`), a
    condition that a lead `l` became a deal won by then, and the parameters of a query that
    uses that condition in its select list and reads from those leads."""
    at = moment(as_of)
    in_period, period_params = period("captured_at", since, until, as_of)
    leads, lead_params = rows_at("lead", at, "l", in_period, period_params, OUTCOME_COLUMNS)
    won, won_params = _won_leads(at, since)
    return leads, f"l.lead_id IN ({won})", [*won_params, *lead_params]


def _won_leads(at: str | None, since: datetime | None) -> tuple[str, list]:
    """The ids of the leads whose deal was won (at `at`), as a subquery the database runs once
    and probes per lead — not a lookup of each lead's deal, which cost two index searches a
    lead. A lead captured since `since` was won after it, so only the wins since then are
    read, from the closed deals' index."""
    closed_since, params = (
        ("closed_at >= ?", [moment(since)]) if since else ("closed_at IS NOT NULL", [])
    )
    won, won_params = rows_at(
        "opportunity", at, "w", f"{closed_since} AND status = 'won' AND lead_id IS NOT NULL",
        params, ("lead_id",),
    )  # fmt: skip
    return f"SELECT w.lead_id FROM {won}", won_params
