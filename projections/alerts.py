"""The alerts a user sees: for a rep, their own; for a manager, their team's (and their own);
for an admin, all. Newest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from projections.table_store import SqlTables

COLUMNS = ("alert_id", "kind", "audience", "rep", "team", "subject_type", "subject_id",
           "message", "due_at", "raised_at", "acknowledged_at", "acknowledged_by")  # fmt: skip


@dataclass(frozen=True)
class AlertScope:
    """Whose alerts: `rep` (theirs, audience rep), `team` (all of it), or everyone (neither)."""

    rep: str | None = None
    team: str | None = None


def alerts(
    tables: SqlTables,
    scope: AlertScope,
    *,
    acknowledged: bool = False,
    kind: str | None = None,
    page: tuple[int, int] = (0, 100),
) -> tuple[list[dict[str, Any]], int]:
    """A page of the open (or the acknowledged) alerts in scope, and how many in all."""
    where, params = _scope(scope)
    where.append(f"acknowledged_at IS {'NOT ' if acknowledged else ''}NULL")
    if kind is not None:
        where.append("kind = ?")
        params.append(kind)
    condition = f" WHERE {' AND '.join(where)}"
    offset, limit = page
    rows = tables.read(
        f"SELECT {', '.join(COLUMNS)} FROM rm_alert{condition} "
        "ORDER BY raised_at DESC, alert_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    total = tables.read(f"SELECT COUNT(*) FROM rm_alert{condition}", params)[0][0]
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows], total


def existing(tables: SqlTables, ids: list[str]) -> set[str]:
    """Which of these alert ids were raised already (the scheduler raises each once)."""
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = tables.read(f"SELECT alert_id FROM rm_alert WHERE alert_id IN ({marks})", chunk)
        found.update(str(alert_id) for (alert_id,) in rows)
    return found


def _scope(scope: AlertScope) -> tuple[list[str], list[Any]]:
    if scope.team is not None and scope.rep is not None:
        return ["(team = ? OR (rep = ? AND audience = 'rep'))"], [scope.team, scope.rep]
    if scope.team is not None:
        return ["team = ?"], [scope.team]
    if scope.rep is not None:
        return ["rep = ? AND audience = 'rep'"], [scope.rep]
    return [], []
