"""What every report over the ledger shares: the "in force at T" predicate, money, periods,
and the pipeline definitions in force."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.stages import DEFAULT_STAGES, LOST, WON
from projections.filters import ReportFilter
from projections.ledger import CLOSED_COLUMNS, LEAD_KEYED, LEADS, OPPORTUNITIES
from projections.pipelines import LOST_RANK, WON_RANK, rank_among
from projections.table_store import SqlTables
from projections.teams import TeamHistory

IN_FORCE = "valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)"
CENT = Decimal("0.01")
# The columns a current row and a version of the history share (the history adds valid_to).
CURRENT_COLUMNS = {"lead": LEADS.all_columns, "opportunity": OPPORTUNITIES.all_columns}


def moment(as_of: datetime | None) -> str | None:
    """A time as the tables keep it: UTC ISO-8601 text (which sorts as time does)."""
    return None if as_of is None else as_of.astimezone(UTC).isoformat()


def rows_at(
    kind: str,
    at: str | None,
    alias: str | None = None,
    where: str = "",
    params: Sequence[Any] = (),
    columns: Sequence[str] = (),
) -> tuple[str, list[Any]]:
    """The rows of leads or opportunities in force at `at` (the current rows when None) that
    meet `where` (with its `params`), as a FROM item named `alias`, with its parameters;
    only `columns` when named (so that an index holding them all can answer alone).

    As of T they are the current rows begun by T (unchanged since) and the history's versions
    that began by T and ended after it: a past moment costs what the current table costs plus
    what changed since T, found through the history's (…, valid_to) indexes — never a walk
    over every version still current. The condition goes inside each part, beside the
    interval, so that the indexes on it serve."""
    alias = alias or kind
    condition = f"{where} AND " if where else ""
    selected = ", ".join(columns or CURRENT_COLUMNS[kind])
    if at is None:
        if not where:
            return f"rm_{kind} AS {alias}", []
        return f"(SELECT {selected} FROM rm_{kind} WHERE {where}) AS {alias}", list(params)
    return (
        f"(SELECT {selected} FROM rm_{kind} WHERE {condition}valid_from <= ? "
        f"UNION ALL SELECT {selected} FROM rm_{kind}_history "
        f"WHERE {condition}valid_to > ? AND valid_from <= ?) AS {alias}",
        [*params, at, *params, at, at],
    )


def money(cents: int | None) -> Decimal:
    return Decimal(cents or 0) / 100


def stages_in_force(tables: SqlTables, at: str | None) -> dict[str, list[tuple[str, Decimal]]]:
    """Each defined product line's open stages and their probabilities, in pipeline order."""
    where, params = ("valid_to IS NULL", []) if at is None else (IN_FORCE, [at, at])
    rows = tables.read(
        f"SELECT product_line, stage, probability FROM rm_pipeline_stage WHERE {where} "
        "ORDER BY product_line, position",
        params,
    )
    stages: dict[str, list[tuple[str, Decimal]]] = {}
    for product_line, stage, probability in rows:
        stages.setdefault(product_line, []).append((stage, Decimal(probability)))
    return stages


def stages_of(defined: Mapping[str, list[tuple[str, Decimal]]], line: str):
    if line in defined:
        return defined[line]
    return [(s.key, Decimal(str(float(s.probability)))) for s in DEFAULT_STAGES.stages]


def probabilities(
    defined: Mapping[str, list[tuple[str, Decimal]]],
) -> Callable[[str | None, str], Decimal]:
    """A stage's probability in a product line's pipeline (0 for a stage it does not have),
    each line's stages gathered once: a report asks for every group row it reads."""
    lines: dict[str | None, dict[str, Decimal]] = {}

    def probability(line: str | None, stage: str) -> Decimal:
        known = lines.get(line)
        if known is None:
            known = lines[line] = dict(stages_of(defined, line))  # type: ignore[arg-type]
        return known.get(stage, Decimal(0))

    return probability


def stage_order(defined: Mapping[str, list[tuple[str, Decimal]]], lines: list[str]) -> list[str]:
    order: list[str] = []
    for line in lines or ["general"]:
        for stage, _ in stages_of(defined, line):
            if stage not in order:
                order.append(stage)
    return order


def stage_ranks(tables: SqlTables) -> dict[str, list[tuple[str, str | None, list[str]]]]:
    """Per product line, each definition's interval and stage keys in order."""
    rows = tables.read(
        "SELECT product_line, version, valid_from, valid_to, stage FROM rm_pipeline_stage "
        "ORDER BY product_line, version, position"
    )
    definitions: dict[tuple[str, int], tuple[str, str | None, list[str]]] = {}
    for line, version, valid_from, valid_to, stage in rows:
        definitions.setdefault((line, version), (valid_from, valid_to, []))[2].append(stage)
    by_line: dict[str, list[tuple[str, str | None, list[str]]]] = {}
    for (line, _), definition in sorted(definitions.items()):
        by_line.setdefault(line, []).append(definition)
    return by_line


DEFAULT_STAGE_KEYS = [s.key for s in DEFAULT_STAGES.stages]


def rank_at(ranks, line: str | None, stage: str | None, at: str) -> int:
    """A stage's place in the pipeline in force for the line at `at`: won above every stage,
    lost and unknown stages below."""
    keys = DEFAULT_STAGE_KEYS
    for valid_from, valid_to, stages in ranks.get(line or "", []):
        if valid_from <= at and (valid_to is None or valid_to > at):
            keys = stages
    return rank_among(keys, stage)


def rank_sql(ranks, line: str, stage: str, at: str) -> tuple[str, list[str]]:
    """rank_at as an SQL expression over the columns `line`, `stage` and `at` (with its
    parameters), so that a report reading thousands of facts is given each one's rank."""
    cases, params = [f"WHEN {stage} = '{WON}' THEN {WON_RANK}"], []
    for line_key, definitions in sorted(ranks.items()):
        # the last definition in force wins in rank_at, the first WHEN here
        for valid_from, valid_to, keys in reversed(definitions):
            until = "" if valid_to is None else f" AND {at} < ?"
            ranked, values = _ranked(stage, keys)
            cases.append(f"WHEN {line} = ? AND {at} >= ?{until} THEN {ranked}")
            params += [line_key, valid_from, *([] if valid_to is None else [valid_to]), *values]
    ranked, values = _ranked(stage, DEFAULT_STAGE_KEYS)
    return f"CASE {' '.join(cases)} ELSE {ranked} END", [*params, *values]


def _ranked(stage: str, keys: list[str]) -> tuple[str, list[str]]:
    whens = [(i, key) for i, key in enumerate(keys) if key not in (WON, LOST)]
    if not whens:
        return str(LOST_RANK), []
    text = " ".join(f"WHEN ? THEN {i}" for i, _ in whens)
    return f"CASE {stage} {text} ELSE {LOST_RANK} END", [key for _, key in whens]


def month_start(month: str, offset: int = 0) -> datetime:
    """The first moment (UTC) of the month `offset` months after `month` (YYYY-MM)."""
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + offset
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def period(
    column: str, since: datetime | None, until: datetime | None, as_of: datetime | None = None
) -> tuple[str, list]:
    """`column` in [since, until) and, as of a moment, not after it: what had not happened by
    then is not in the rows in force then anyway, but the bound keeps the index range of a
    past period from running on to today."""
    clauses, params = [f"{column} IS NOT NULL"], []
    if since is not None:
        clauses.append(f"{column} >= ?")
        params.append(moment(since))
    if until is not None:
        clauses.append(f"{column} < ?")
        params.append(moment(until))
    if as_of is not None and (until is None or as_of < until):
        clauses.append(f"{column} <= ?")
        params.append(moment(as_of))
    return " AND ".join(clauses), params


def _closed_in_period(
    as_of: datetime | None,
    since: datetime | None,
    until: datetime | None,
    status: Sequence[str],
    where: str = "",
    where_params: Sequence[Any] = (),
) -> tuple[str, list]:
    """The deals closed (won or lost, as `status` says) in [since, until) as they stood at
    `as_of` that meet `where`, as a FROM item `o`, and its parameters."""
    in_period, period_params = period("closed_at", since, until, as_of)
    marks = ", ".join("?" * len(status))
    return rows_at(
        "opportunity", moment(as_of), "o",
        f"{in_period} AND status IN ({marks}){f' AND {where}' if where else ''}",
        [*period_params, *status, *where_params], CLOSED_COLUMNS,
    )  # fmt: skip


def closed_deals(
    tables: SqlTables,
    as_of: datetime | None,
    since: datetime | None,
    until: datetime | None,
    status: Sequence[str],
    columns: str,
) -> list[tuple]:
    """Deals closed (won or lost, as `status` says) in [since, until), as they stood at
    `as_of`, with their lead joined as `l` when `columns` read it (its capture time; its source
    is LEAD_SOURCE, the source at `as_of`)."""
    opportunities, params = _closed_in_period(as_of, since, until, status)
    joined = _lead_join(columns)
    statement = f"SELECT {columns} FROM {opportunities}{joined}"
    return tables.read(_in_dialect(tables, statement, moment(as_of), bool(joined)), params)


# A closed deal's lead's source. The deal keeps it (OpportunityOpened and
# OpportunityLeadSourceCorrected carry it), so its row as of a moment has the source then;
# a deal opened before its events carried it has none, and its lead's source is looked up
# by the deal (its lead's key) — a period's thousand such deals, a thousand index searches
# (3 µs each in PostgreSQL, three quarters of win rate's query). A statement names it
# LEAD_SOURCE; _in_dialect puts the database's form as of the moment in its place.
LEAD_SOURCE = "(SELECT l.source FROM rm_lead l WHERE l.lead_id = o.lead_id)"
DEAL_SOURCE = "o.lead_source"
# As of T, the source then (a correction since must not change a past answer): the current
# row's when the lead has not changed since T — nearly always, and read from the same index —
# else the version in force at T. {at} is the moment, as a literal (see _at_literal).
_LEAD_SOURCE_AT = (
    "COALESCE((SELECT l.source FROM rm_lead l WHERE l.lead_id = o.lead_id"
    " AND l.valid_from <= {at}), (SELECT h.source FROM rm_lead_history h"
    " WHERE h.lead_id = o.lead_id AND h.valid_from <= {at} AND h.valid_to > {at}))"
)
# SQLite searches the lead's unique key and then reads the whole wide row (4 µs a deal); told
# to, it reads the source from the lead's (lead_id, source, …, valid_from) index alone, as
# PostgreSQL chooses to by itself. (Joined, SQLite chooses that index by itself.)
_SQLITE_LEAD = f"rm_lead l INDEXED BY {LEADS.index_name(LEAD_KEYED)}"
_ISO_MOMENT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[+-][0-9]{2}:[0-9]{2}$")


def _lead_join(columns: str) -> str:
    """The lead joined as `l` when `columns` read it (LEAD_SOURCE looks it up itself)."""
    if "l." in columns.replace(LEAD_SOURCE, ""):
        return " LEFT JOIN rm_lead l ON l.lead_id = o.lead_id"
    return ""


def team_moment(teams: TeamHistory) -> tuple[str, list]:
    """A column that tells a deal's team at its close, beside its owner (with its parameters):
    the close time for reps who changed teams, NULL (one group) for the rest, whose team was
    always the same."""
    movers = sorted(teams.spells)
    if not movers:
        return "NULL", []
    return f"CASE WHEN o.owner IN ({', '.join('?' * len(movers))}) THEN o.closed_at END", movers


def closed_groups(
    tables: SqlTables,
    as_of: datetime | None,
    since: datetime | None,
    until: datetime | None,
    status: Sequence[str],
    group: Sequence[str],
    filters: ReportFilter,
    teams: TeamHistory,
    source: str | None = None,
    with_team: bool = False,
    amounts: bool = True,
) -> Iterator[tuple]:
    """Deals closed in [since, until) (as they stood at `as_of`) of the filter's rep, team
    and product line (and lead `source`), counted: a row per group — `group`'s values, the
    deals and their amount in cents (None without `amounts`) — led by the owner's team at
    close `with_team`. A period's thousand deals cost a few rows in Python, not a thousand.
    The team at close (for a team filter or `with_team`) is found per owner and, for reps
    who changed teams, per close time, so the database groups by those too."""
    by_team = with_team or filters.team is not None
    moment_column, moment_params = team_moment(teams) if by_team else ("", [])
    whom = ["o.owner", moment_column] if by_team else []
    rows = _counted(tables, as_of, since, until, status, [*whom, *group], filters, source,
                    moment_params, amounts)  # fmt: skip
    if not by_team:
        yield from rows
        return
    for owner, at, *values in rows:
        team = teams.team_of(owner, at)
        if filters.team is not None and (owner is None or team != filters.team):
            continue
        yield (team, *values) if with_team else tuple(values)


def _counted(
    tables: SqlTables,
    as_of: datetime | None,
    since: datetime | None,
    until: datetime | None,
    status: Sequence[str],
    group: Sequence[str],
    filters: ReportFilter,
    source: str | None = None,
    group_params: Sequence[Any] = (),
    amounts: bool = True,
) -> list[tuple]:
    """`group`'s columns (with `group_params`), the deals and their amount in cents (None
    without `amounts`), a row per group, of the deals closed in the period of the filter's
    rep and product line, and of the lead `source` when given."""
    where, params = [], []
    if filters.rep is not None:
        where.append("owner = ?")
        params.append(filters.rep)
    if filters.product_line is not None:  # a deal without a line is in every line's report
        where.append("(product_line = ? OR product_line IS NULL)")
        params.append(filters.product_line)
    opportunities, from_params = _closed_in_period(
        as_of, since, until, status, " AND ".join(where), params
    )
    columns = ", ".join(group)
    joined = _lead_join(columns)
    by_source, source_params = "", []
    if source is not None:
        by_source, source_params = f" WHERE {LEAD_SOURCE} = ?", [source]
    params = [*group_params, *from_params, *source_params]
    if not amounts and not tables.db.is_postgres:
        # Where the groups are nearly as many as the deals (rep × line × source), SQLite
        # sorts to group (a past moment's rows, a union of the current and the history's,
        # 2.4 -> 3.8 ms at the quarter size): counted here instead, tuple by tuple in C.
        # PostgreSQL hashes them, and sends a fifth of the rows (win rate as of a month
        # back 4.2 -> 3.2 ms, live 2.3 -> 2.0).
        statement = f"SELECT {columns} FROM {opportunities}{joined}{by_source}"
        rows = tables.read(_in_dialect(tables, statement, moment(as_of), bool(joined)), params)
        return [(*group_values, deals, None) for group_values, deals in Counter(rows).items()]
    ordinals = ", ".join(str(n) for n in range(1, len(group) + 1))
    amount = "SUM(o.amount)" if amounts else "NULL"
    statement = (
        f"SELECT {columns}, COUNT(*), {amount} FROM {opportunities}{joined}{by_source} "
        f"GROUP BY {ordinals}"
    )
    return tables.read(_in_dialect(tables, statement, moment(as_of), bool(joined)), params)


def listed(tables: SqlTables, column: str) -> str:
    """An aggregate of an integer column's values in a group as one text, comma-separated
    (in no particular order)."""
    if tables.db.is_postgres:
        return f"string_agg({column}::text, ',')"
    return f"group_concat({column}, ',')"


def _in_dialect(tables: SqlTables, statement: str, at: str | None, lead_joined: bool) -> str:
    """The statement with its deals' lead sources as of `at` (now when None): the deal's own,
    else its lead's — read from the lead the statement joins as `l` when that is the lead as
    it is now, else looked up, in the database's best form."""
    if at is None and lead_joined:
        looked_up = "l.source"
    else:
        looked_up = LEAD_SOURCE if at is None else _LEAD_SOURCE_AT.format(at=_at_literal(at))
        if not tables.db.is_postgres:
            looked_up = looked_up.replace("rm_lead l", _SQLITE_LEAD)
    # COALESCE reads its second argument only where the first is NULL (both databases)
    return statement.replace(LEAD_SOURCE, f"COALESCE({DEAL_SOURCE}, {looked_up})")


def _at_literal(at: str) -> str:
    """A moment as an SQL literal: the text of a parsed time (moment()), refused otherwise,
    so that a lookup repeated in a statement needs no parameters of its own."""
    if not _ISO_MOMENT.match(at):
        raise ValueError(f"not a moment: {at!r}")
    return f"'{at}'"
