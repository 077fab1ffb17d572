"""Lead commands and queries, and the shared pool."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from api import why
from api.access import check_admin, check_lead, check_lead_reader, check_manager
from api.commands import CallDep, CommandCall
from api.dependencies import ContainerDep, UserDep, report_slot
from api.responses import JSONResponse
from api.routers.queries import AsOf, VersionQuery, ledger, state_response, version_or_moment
from api.schemas import (
    AssignLead,
    CaptureLead,
    ConvertLead,
    CorrectLead,
    FollowUpIn,
    OptionalReason,
    ScoreLead,
    WithReason,
)
from api.views import lead_view
from domain.followups import FollowUp
from domain.leads import Lead
from domain.published import json_ready
from projections import ledger_reports

router = APIRouter(tags=["leads"])


def _lead_command(
    call: CommandCall, lead_id: UUID, action: Any, *, pool: bool = False
) -> JSONResponse:
    """Checks the caller may work the lead, then runs the command once."""
    check_lead(call.user, call.container.app.get_lead(lead_id), call.teams, pool=pool)
    return call.run(action)


@router.post("/leads", status_code=201)
def capture_lead(body: CaptureLead, call: CallDep) -> JSONResponse:
    """Captures a lead into the shared pool, unheld."""
    details = body.model_dump()
    details["contact"] = {k: v for k, v in details["contact"].items() if v is not None}
    return call.run(lambda: call.container.app.capture_lead(call.ctx, **details), 201)


@router.post("/leads/{lead_id}/score")
def score_lead(lead_id: UUID, body: ScoreLead, call: CallDep) -> JSONResponse:
    """Scores the lead with BANT: the answer gives the score and tier (a manager may score a
    lead waiting in the pool: triage before it is assigned)."""
    check_lead(call.user, call.container.app.get_lead(lead_id), call.teams, pool=True)

    return call.run(
        lambda: call.container.app.score_lead(
            call.ctx, lead_id, expected_version=call.expected_version, **body.model_dump()
        )
    )


@router.post("/leads/{lead_id}/claim")
def claim_lead(lead_id: UUID, call: CallDep) -> JSONResponse:
    """The caller claims the lead from the pool, within their claim limit."""
    app = call.container.app
    return call.run(
        lambda: app.claim_lead(call.ctx, lead_id, expected_version=call.expected_version)
    )


@router.post("/leads/{lead_id}/assign")
def assign_lead(lead_id: UUID, body: AssignLead, call: CallDep) -> JSONResponse:
    """A manager or admin gives the lead to a rep."""
    check_manager(call.user, "assign leads")
    teams = call.teams
    call.check_target(body.rep)
    check_lead(call.user, call.container.app.get_lead(lead_id), teams, pool=True)
    return call.run(
        lambda: call.container.app.assign_lead(
            call.ctx, lead_id, rep=body.rep, expected_version=call.expected_version
        )
    )


@router.post("/leads/{lead_id}/release")
def release_lead(lead_id: UUID, body: WithReason, call: CallDep) -> JSONResponse:
    """The holder (or their manager) gives the lead back to the pool."""
    return _lead_command(
        call,
        lead_id,
        lambda: call.container.app.release_lead(
            call.ctx, lead_id, reason=body.reason, expected_version=call.expected_version
        ),
    )


@router.post("/leads/{lead_id}/follow-ups")
def follow_up_lead(lead_id: UUID, body: FollowUpIn, call: CallDep) -> JSONResponse:
    """Records a contact with the lead: how, what was said, what comes next."""
    follow_up = FollowUp(**body.model_dump())
    return _lead_command(
        call,
        lead_id,
        lambda: call.container.app.follow_up_lead(
            call.ctx, lead_id, follow_up, expected_version=call.expected_version
        ),
    )


@router.post("/leads/{lead_id}/qualify")
def qualify_lead(lead_id: UUID, call: CallDep) -> JSONResponse:
    return _lead_command(
        call,
        lead_id,
        lambda: call.container.app.qualify_lead(
            call.ctx, lead_id, expected_version=call.expected_version
        ),
    )


@router.post("/leads/{lead_id}/disqualify")
def disqualify_lead(lead_id: UUID, body: WithReason, call: CallDep) -> JSONResponse:
    return _lead_command(
        call,
        lead_id,
        lambda: call.container.app.disqualify_lead(
            call.ctx, lead_id, reason=body.reason, expected_version=call.expected_version
        ),
    )


@router.post("/leads/{lead_id}/nurture")
def nurture_lead(lead_id: UUID, body: OptionalReason, call: CallDep) -> JSONResponse:
    """Parks a lead that is not ready to buy in the nurture pool."""
    return _lead_command(
        call,
        lead_id,
        lambda: call.container.app.nurture_lead(
            call.ctx, lead_id, reason=body.reason, expected_version=call.expected_version
        ),
        pool=True,
    )


@router.post("/leads/{lead_id}/reactivate")
def reactivate_lead(lead_id: UUID, call: CallDep) -> JSONResponse:
    """Brings a nurtured or disqualified lead back into the pool."""
    check_manager(call.user, "reactivate leads")
    return _lead_command(
        call,
        lead_id,
        lambda: call.container.app.reactivate_lead(
            call.ctx, lead_id, expected_version=call.expected_version
        ),
        pool=True,
    )


@router.post("/leads/{lead_id}/corrections")
def correct_lead(lead_id: UUID, body: CorrectLead, call: CallDep) -> JSONResponse:
    """Corrects captured details (company, source, contact.phone, …); history keeps the old ones."""
    return _lead_command(
        call,
        lead_id,
        lambda: call.container.app.correct_lead_details(
            call.ctx, lead_id, body.changes.given(), expected_version=call.expected_version
        ),
    )


@router.post("/leads/{lead_id}/erase-contact")
def erase_contact(lead_id: UUID, call: CallDep) -> JSONResponse:
    """Erases the lead's contact details (name, title, phone, email) for good: their key is
    deleted and `LeadContactErased` recorded. Events, audit chain and reports stay as they
    were; every view shows the details as erased. Admin only; asked again, it answers the
    same (and deletes a key a crash left behind)."""
    check_admin(call.user, "erase a contact")
    call.container.app.get_lead(lead_id)  # 404 for an unknown lead, before anything is done
    return call.run(lambda: call.container.app.erase_contact(call.ctx, lead_id))


@router.post("/leads/{lead_id}/convert", status_code=201)
def convert_lead(lead_id: UUID, body: ConvertLead, call: CallDep) -> JSONResponse:
    """Opens an opportunity from the lead, owned by its holder."""
    check_lead(call.user, call.container.app.get_lead(lead_id), call.teams)

    return call.run(
        lambda: call.container.app.convert_lead(
            call.ctx, lead_id, expected_version=call.expected_version, **body.model_dump()
        ),
        201,
    )


@router.get("/leads/{lead_id}")
def get_lead(
    lead_id: UUID,
    container: ContainerDep,
    user: UserDep,
    as_of: AsOf = None,
    version: VersionQuery = None,
) -> JSONResponse:
    """The lead now, at a version, or as it was at a moment. Contact details are shown to
    whoever may work the lead; the pool's leads are shown to everyone, masked."""
    version_or_moment(version, as_of)
    app = container.app
    lead = app.get_lead(lead_id, version=version, as_of=as_of)
    current = app.get_lead(lead_id)
    teams = container.users.teams()
    show_contact = check_lead_reader(user, current, teams)
    view = lead_view(lead, show_contact=show_contact, vault=app.vault)
    returning = app.return_deadline_of(lead, teams, app.pool_rules(as_of))
    view.update(json_ready({
        "return_due_at": returning and returning.due_at,
        "return_rule": returning and {"name": returning.rule, "version": returning.rule_version,
                                      "reason": returning.reason, "warn_at": returning.warn_at},
        "contact_due_at": lead.contact_due_at(app.rules),
    }))  # fmt: skip
    return state_response(view, lead)


@router.get("/leads/{lead_id}/why")
def why_lead(lead_id: UUID, container: ContainerDep, user: UserDep) -> JSONResponse:
    """Every automatic decision about the lead (which rule, which version, on what facts) and
    every deadline in force, in plain words."""
    app = container.app
    lead = app.get_lead(lead_id)
    teams = container.users.teams()
    check_lead_reader(user, lead, teams)
    history = app.history(Lead, lead_id, limit=lead.version).envelopes
    now = container.clock.now()
    returning = app.return_deadline_of(lead, teams)
    body = {
        "id": lead_id, "version": lead.version, "holder": lead.holder,
        "decisions": why.decisions(history),
        "deadlines": why.deadlines(
            lead, returning, app.rules, now, app.nurture_policy().review_after_days
        ),
    }  # fmt: skip
    return JSONResponse(json_ready(body))


@router.get("/pool", dependencies=[Depends(report_slot)])
def get_pool(
    container: ContainerDep,
    user: UserDep,
    tier: Annotated[str | None, Query(max_length=20)] = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
    as_of: AsOf = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> JSONResponse:
    """A page of the leads waiting in the pool, best tier first, then longest waiting, contact
    details masked; `total` counts them all, `next_offset` asks for the next page."""
    tables = ledger(container)
    leads = ledger_reports.pool(tables, as_of, tier=tier, source=source, page=(offset, limit))
    total = ledger_reports.pool_size(tables, as_of, tier=tier, source=source)
    following = offset + limit if offset + limit < total else None
    body = {"leads": [vars(lead) for lead in leads], "total": total, "next_offset": following}
    return JSONResponse(json_ready(body))
