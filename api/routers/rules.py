"""The automation rules: pool rules, the claim policy and assignment rules, written by an
admin, read by anyone signed in (a rep may know when their leads go back to the pool)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.access import check_admin
from api.commands import CallDep
from api.dependencies import ContainerDep, UserDep
from api.schemas import AssignmentRulesIn, ClaimPolicyIn, PoolRulesIn
from domain.published import json_ready
from domain.rules import AssignmentRule, AssignmentRules, ClaimPolicy, PoolRule, PoolRules

router = APIRouter(prefix="/rules", tags=["rules"])


@router.put("/pool")
def write_pool_rules(body: PoolRulesIn, call: CallDep) -> JSONResponse:
    """The pool rules from now on, in order: the first that matches a held lead (its holder's
    team, its tier and source) applies. A rule that changes counts idle days from now on; a rule
    left as it was keeps counting from when it came into force. An empty list: no returns."""
    check_admin(call.user, "write pool rules")
    app = call.container.app
    rules = [PoolRule(**r.model_dump()) for r in body.rules]
    answer = call.run(lambda: app.write_pool_rules(call.ctx, rules))
    return _with_version(answer, _pool_view(app.pool_rules()))


@router.get("/pool")
def read_pool_rules(container: ContainerDep, user: UserDep) -> JSONResponse:
    """The pool rules in force (version 0: the default, 7 days without a follow-up)."""
    return JSONResponse(json_ready(_pool_view(container.app.pool_rules())))


@router.put("/claims")
def write_claim_policy(body: ClaimPolicyIn, call: CallDep) -> JSONResponse:
    """How many leads a rep may hold and claim a day, and the days before a rep may claim
    again a lead that went back to the pool from them."""
    check_admin(call.user, "write the claim policy")
    app = call.container.app
    policy = ClaimPolicy(**body.model_dump())
    answer = call.run(lambda: app.write_claim_policy(call.ctx, policy))
    return _with_version(answer, app.claim_policy().as_data())


@router.get("/claims")
def read_claim_policy(container: ContainerDep, user: UserDep) -> JSONResponse:
    policy = container.app.claim_policy()
    return JSONResponse({"version": policy.version, **policy.as_data()})


@router.put("/assignment")
def write_assignment_rules(body: AssignmentRulesIn, call: CallDep) -> JSONResponse:
    """The assignment rules from now on, in order: a captured lead goes by the first whose
    `match` it meets (source, region, industry, product line), to its rep or round robin over
    its team's active reps below their limits (with its tag, if given); no match: the pool."""
    check_admin(call.user, "write assignment rules")
    app = call.container.app
    rules = [
        AssignmentRule(**{**r.model_dump(), "match": r.match.model_dump(exclude_none=True)})
        for r in body.rules
    ]
    answer = call.run(lambda: app.write_assignment_rules(call.ctx, rules))
    return _with_version(answer, _assignment_view(app.assignment_rules()))


@router.get("/assignment")
def read_assignment_rules(container: ContainerDep, user: UserDep) -> JSONResponse:
    return JSONResponse(_assignment_view(container.app.assignment_rules()))


def _assignment_view(rules: AssignmentRules) -> dict[str, Any]:
    return {"version": rules.version, "rules": [r.as_data() for r in rules.rules]}


def _pool_view(rules: PoolRules) -> dict[str, Any]:
    return {"version": rules.version, "rules": [r.as_data() for r in rules.rules]}


def _with_version(answer: JSONResponse, view: dict[str, Any]) -> JSONResponse:
    """The command's answer (its version: also on a replay) with the rules now in force."""
    version = json.loads(answer.body)["version"]
    headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-length"}
    return JSONResponse(json_ready({**view, "version": version}), answer.status_code, headers)
