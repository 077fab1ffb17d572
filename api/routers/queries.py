"""Query parameters and response helpers shared by the read endpoints."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Query

from api.access import scoped_filter
from api.bootstrap import Container
from api.problems import ApiProblem
from api.responses import JSONResponse
from api.schemas import YEAR_PATTERN, UtcTime
from api.users import User
from projections.filters import ReportFilter
from projections.table_store import SqlTables
from projections.teams import TeamHistory, team_history

AsOf = Annotated[
    UtcTime | None,
    Query(description="ISO-8601 time with offset: the answer as it was then"),
]
VersionQuery = Annotated[int | None, Query(ge=1, le=1_000_000_000, description="aggregate version")]


def version_or_moment(version: int | None, as_of: Any) -> None:
    """A state is asked at a version or at a moment, not both (which would be ambiguous)."""
    if version is not None and as_of is not None:
        raise ApiProblem(422, "Invalid Value", "ask for a version or an as_of, not both", "version")


def state_response(body: dict[str, Any], aggregate: Any) -> JSONResponse:
    """An aggregate's state, with its version as the ETag for If-Match."""
    return JSONResponse(body, headers={"ETag": f'"{aggregate.version}"'})


def as_of_text(as_of: datetime | None) -> str | None:
    return as_of.isoformat() if as_of is not None else None


Moment = Annotated[UtcTime | None, Query(description="ISO-8601 time with offset")]
# A report over a period counts the last 90 days unless asked otherwise: what a manager
# reviews, and what keeps a report's cost that of the period, not of the whole log.
DEFAULT_PERIOD = timedelta(days=90)


def period_bounds(
    container: Container,
    since: datetime | None,
    until: datetime | None,
    as_of: datetime | None,
) -> tuple[datetime, datetime | None]:
    """`since` defaults to DEFAULT_PERIOD before `until` (or `as_of`, or now); refuses a
    period that ends before it starts (422 naming `since`)."""
    if since is None:
        since = (until or as_of or container.clock.now()) - DEFAULT_PERIOD
    if until is not None and since >= until:
        raise ApiProblem(422, "Invalid Value", "since must be before until", "since")
    return since, until


def ledger(container: Container) -> SqlTables:
    """The ledger's tables, with what the store holds delivered (in-process mode)."""
    container.before_report()
    tables = container.docs.reader("ledger")
    assert isinstance(tables, SqlTables)
    return tables


@dataclass(frozen=True)
class ReportScope:
    """What a report reads: the filter narrowed to what the caller may see, the ledger, and
    who was in which team when (the recorded memberships, the user directory behind them)."""

    filters: ReportFilter
    tables: SqlTables
    teams: TeamHistory


def report_scope(container: Container, user: User, requested: ReportFilter) -> ReportScope:
    """The caller's scope for a report; asking for more than they may see is refused (403)."""
    filters = scoped_filter(user, requested)
    tables = ledger(container)
    return ReportScope(filters, tables, team_history(tables, container.users.teams()))


WEEK_PATTERN = re.compile(f"^{YEAR_PATTERN}-W(0[1-9]|[1-4][0-9]|5[0-3])$")
Week = Annotated[
    str | None, Query(pattern=WEEK_PATTERN.pattern, description="ISO week, e.g. 2026-W48")
]


def checked_week(week: str) -> None:
    """Refuses anything but an ISO week such as 2026-W48 (422 naming `week`)."""
    match = WEEK_PATTERN.match(week)
    if match is not None:
        try:
            datetime.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
            return
        except ValueError:
            pass
    raise ApiProblem(422, "Invalid Value", "week must be an ISO week such as 2026-W48", "week")
