"""What every report over the ledger shares: the "in force at T" predicate, money, periods,
and the pipeline definitions in force."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.stages import DEFAULT_STAGES
from projections.ledger import LEADS, OPPORTUNITIES
from projections.pipelines import rank_among
from projections.table_store import SqlTables

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


def rank_at(ranks, line: str | None, stage: str | None, at: str) -> int:
    """A stage's place in the pipeline in force for the line at `at`: won above every stage,
    lost and unknown stages below."""
    keys = [s.key for s in DEFAULT_STAGES.stages]
    for valid_from, valid_to, stages in ranks.get(line or "", []):
        if valid_from <= at and (valid_to is None or valid_to > at):
            keys = stages
    return rank_among(keys, stage)


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


def closed_deals(
    tables: SqlTables,
    as_of: datetime | None,
    since: datetime | None,
    until: datetime | None,
    status: Sequence[str],
    columns: str,
) -> list[tuple]:
    """Deals closed (won or lost, as `status` says) in [since, until), as they stood at
    `as_of`, with their lead's source and capture time joined."""
    in_period, period_params = period("closed_at", since, until, as_of)
    marks = ", ".join("?" * len(status))
    opportunities, params = rows_at(
        "opportunity", moment(as_of), "o", f"{in_period} AND status IN ({marks})",
        [*period_params, *status],
    )  # fmt: skip
    return tables.read(
        f"SELECT {columns} FROM {opportunities} LEFT JOIN rm_lead l ON l.lead_id = o.lead_id",
        params,
    )
