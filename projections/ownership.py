"""Whose work is whose now: the open opportunities a rep owns (to hand over when they leave)."""

from __future__ import annotations

from projections.table_store import SqlTables


def open_opportunities_of(tables: SqlTables, owner: str) -> list[str]:
    rows = tables.read(
        "SELECT opportunity_id FROM rm_opportunity WHERE owner = ? AND status = 'open' "
        "ORDER BY opened_at, opportunity_id",
        [owner],
    )
    return [str(opportunity_id) for (opportunity_id,) in rows]
