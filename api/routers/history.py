"""Auditors' view: every event of a lead or an opportunity, in order, page by page."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from api.access import check_lead_reader, check_opportunity
from api.bootstrap import Container
from api.dependencies import ContainerDep, UserDep
from api.responses import JSONResponse
from domain.leads import Lead
from domain.opportunities import Opportunity
from domain.results import HistoryPage

router = APIRouter(tags=["audit"])
After = Annotated[
    int, Query(ge=0, le=1_000_000_000, description="return events after this version")
]
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/leads/{lead_id}/history")
def lead_history(
    lead_id: UUID, container: ContainerDep, user: UserDep, after: After = 0, limit: Limit = 100
) -> JSONResponse:
    """Every event of the lead: version, type, time, actor, correlation id and data. Contact
    details are shown to whoever may work the lead, masked for everyone else."""
    lead = container.app.get_lead(lead_id)
    show_contact = check_lead_reader(user, lead, container.users.teams())
    page = container.app.history(Lead, lead_id, after_version=after, limit=limit)
    return _page_response(container, "lead", lead_id, page, after, limit, show_contact)


@router.get("/opportunities/{opportunity_id}/history")
def opportunity_history(
    opportunity_id: UUID,
    container: ContainerDep,
    user: UserDep,
    after: After = 0,
    limit: Limit = 100,
) -> JSONResponse:
    """Every event of the opportunity, oldest first."""
    check_opportunity(user, container.app.get_opportunity(opportunity_id), container.users.teams())
    page = container.app.history(Opportunity, opportunity_id, after_version=after, limit=limit)
    return _page_response(container, "opportunity", opportunity_id, page, after, limit, True)


def _page_response(
    container: Container,
    aggregate_type: str,
    aggregate_id: UUID,
    page: HistoryPage,
    after: int,
    limit: int,
    show_contact: bool,
) -> JSONResponse:
    events = page.envelopes if show_contact else [container.publish(e) for e in page.envelopes]
    body: dict[str, Any] = {
        "aggregate_type": aggregate_type,
        "aggregate_id": str(aggregate_id),
        "total": page.total,
        "after": after,
        "limit": limit,
        "events": [_entry(e) for e in events],
        "next": events[-1]["aggregate_version"]
        if events and events[-1]["aggregate_version"] < page.total
        else None,
    }
    return JSONResponse(body)


def _entry(envelope: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": envelope["aggregate_version"],
        "type": envelope["type"],
        "occurred_at": envelope["occurred_at"],
        "actor": envelope["actor"],
        "correlation_id": envelope["correlation_id"],
        "data": envelope["data"],
    }
