"""Opportunity commands and queries."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from api.access import check_manager, check_opportunity, may_handle
from api.commands import CallDep, CommandCall
from api.dependencies import ContainerDep, UserDep
from api.problems import ApiProblem
from api.responses import JSONResponse
from api.routers.queries import AsOf, VersionQuery, state_response, version_or_moment
from api.schemas import (
    ChangeAmount,
    ChangeCloseDate,
    FollowUpIn,
    Lose,
    MoveStage,
    OpenOpportunity,
    Reassign,
    Win,
)
from api.views import opportunity_view
from domain.errors import NotFound
from domain.followups import FollowUp

router = APIRouter(tags=["opportunities"])


def _opportunity_command(call: CommandCall, opportunity_id: UUID, action: Any) -> JSONResponse:
    """Checks the caller may work the opportunity, then runs the command once."""
    check_opportunity(call.user, call.container.app.get_opportunity(opportunity_id), call.teams)
    return call.run(action)


@router.post("/opportunities", status_code=201)
def open_opportunity(body: OpenOpportunity, call: CallDep) -> JSONResponse:
    """Opens an opportunity in the first stage of its product line's pipeline."""
    owner = body.owner or call.user.name
    call.check_target(owner, field="owner")
    lead_id = UUID(body.lead_id) if body.lead_id else None  # the body's pattern: a UUID
    if lead_id is not None:
        _check_linkable(call, lead_id)
    fields = body.model_dump(exclude={"owner", "lead_id"})
    return call.run(
        lambda: call.container.app.open_opportunity(
            call.ctx, owner=owner, lead_id=lead_id, **fields
        ),
        201,
    )


def _check_linkable(call: CommandCall, lead_id: UUID) -> None:
    """The caller may link a deal only to a lead they may work; an unknown lead and another's
    get the same answer, so that nobody learns which ids are leads."""
    try:
        lead = call.container.app.get_lead(lead_id)
    except NotFound:
        lead = None
    holder = None if lead is None else lead.holder
    mine = call.user.is_admin or (holder is not None and may_handle(call.user, holder, call.teams))
    if lead is None or not mine:
        raise ApiProblem(422, "Invalid Value", "lead_id is not a lead you hold", "lead_id")


@router.post("/opportunities/{opportunity_id}/stage")
def move_opportunity(opportunity_id: UUID, body: MoveStage, call: CallDep) -> JSONResponse:
    """Moves the opportunity to another open stage of its pipeline."""
    return _opportunity_command(
        call,
        opportunity_id,
        lambda: call.container.app.move_opportunity(
            call.ctx, opportunity_id, stage=body.stage, expected_version=call.expected_version
        ),
    )


@router.post("/opportunities/{opportunity_id}/amount")
def change_amount(opportunity_id: UUID, body: ChangeAmount, call: CallDep) -> JSONResponse:
    return _opportunity_command(
        call,
        opportunity_id,
        lambda: call.container.app.change_opportunity_amount(
            call.ctx, opportunity_id, amount=body.amount, expected_version=call.expected_version
        ),
    )


@router.post("/opportunities/{opportunity_id}/close-date")
def change_close_date(opportunity_id: UUID, body: ChangeCloseDate, call: CallDep) -> JSONResponse:
    return _opportunity_command(
        call,
        opportunity_id,
        lambda: call.container.app.change_opportunity_close_date(
            call.ctx,
            opportunity_id,
            expected_close=body.expected_close,
            expected_version=call.expected_version,
        ),
    )


@router.post("/opportunities/{opportunity_id}/reassign")
def reassign_opportunity(opportunity_id: UUID, body: Reassign, call: CallDep) -> JSONResponse:
    """A manager or admin hands the opportunity to another rep."""
    check_manager(call.user, "reassign opportunities")
    call.check_target(body.rep)
    return _opportunity_command(
        call,
        opportunity_id,
        lambda: call.container.app.reassign_opportunity(
            call.ctx, opportunity_id, to_rep=body.rep, expected_version=call.expected_version
        ),
    )


@router.post("/opportunities/{opportunity_id}/follow-ups")
def follow_up_opportunity(opportunity_id: UUID, body: FollowUpIn, call: CallDep) -> JSONResponse:
    follow_up = FollowUp(**body.model_dump())
    return _opportunity_command(
        call,
        opportunity_id,
        lambda: call.container.app.follow_up_opportunity(
            call.ctx, opportunity_id, follow_up, expected_version=call.expected_version
        ),
    )


@router.post("/opportunities/{opportunity_id}/win")
def win_opportunity(opportunity_id: UUID, body: Win, call: CallDep) -> JSONResponse:
    """Closes the opportunity as won, at its amount or the final amount given."""
    return _opportunity_command(
        call,
        opportunity_id,
        lambda: call.container.app.win_opportunity(
            call.ctx, opportunity_id, amount=body.amount, expected_version=call.expected_version
        ),
    )


@router.post("/opportunities/{opportunity_id}/lose")
def lose_opportunity(opportunity_id: UUID, body: Lose, call: CallDep) -> JSONResponse:
    return _opportunity_command(
        call,
        opportunity_id,
        lambda: call.container.app.lose_opportunity(
            call.ctx,
            opportunity_id,
            reason=body.reason,
            competitor=body.competitor,
            expected_version=call.expected_version,
        ),
    )


@router.post("/opportunities/{opportunity_id}/reopen")
def reopen_opportunity(opportunity_id: UUID, call: CallDep) -> JSONResponse:
    """Reopens a closed opportunity in the stage it was closed from."""
    return _opportunity_command(
        call,
        opportunity_id,
        lambda: call.container.app.reopen_opportunity(
            call.ctx, opportunity_id, expected_version=call.expected_version
        ),
    )


@router.get("/opportunities/{opportunity_id}")
def get_opportunity(
    opportunity_id: UUID,
    container: ContainerDep,
    user: UserDep,
    as_of: AsOf = None,
    version: VersionQuery = None,
) -> JSONResponse:
    """The opportunity now, at a version, or as it was at a moment."""
    version_or_moment(version, as_of)
    current = container.app.get_opportunity(opportunity_id)
    check_opportunity(user, current, container.users.teams())
    opp = container.app.get_opportunity(opportunity_id, version=version, as_of=as_of)
    return state_response(opportunity_view(opp), opp)
