"""The automation rules: pool rules, the claim policy and assignment rules, written by an
admin, read by anyone signed in (a rep may know when their leads go back to the pool)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter

from api.access import check_admin
from api.commands import CallDep
from api.dependencies import ContainerDep, UserDep
from api.responses import JSONResponse
from api.schemas import (
    AlertPolicyIn,
    AssignmentRulesIn,
    ClaimPolicyIn,
    NurturePolicyIn,
    PoolRulesIn,
)
from domain.published import json_ready
from domain.rules import (
    AlertPolicy,
    AssignmentRule,
    AssignmentRules,
    ClaimPolicy,
    NurturePolicy,
    PoolRule,
    PoolRules,
)

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
    app = call.container.app
    return _write_policy(call, ClaimPolicy(**body.model_dump()), app.write_claim_policy,
                         app.claim_policy)  # fmt: skip


@router.get("/claims")
def read_claim_policy(container: ContainerDep, user: UserDep) -> JSONResponse:
    return _policy_view(container.app.claim_policy())


@router.put("/nurture")
def write_nurture_policy(body: NurturePolicyIn, call: CallDep) -> JSONResponse:
    """Whether a lead scored low goes to nurture by itself (`low_to_nurture`), and the days
    before a nurtured lead goes back to the pool to be scored again (default 90)."""
    app = call.container.app
    return _write_policy(call, NurturePolicy(**body.model_dump()), app.write_nurture_policy,
                         app.nurture_policy)  # fmt: skip


@router.get("/nurture")
def read_nurture_policy(container: ContainerDep, user: UserDep) -> JSONResponse:
    return _policy_view(container.app.nurture_policy())


@router.put("/alerts")
def write_alert_policy(body: AlertPolicyIn, call: CallDep) -> JSONResponse:
    """The days after which the manager hears of a rep with no follow-up, and of a high-value
    lead nobody updated (default 3 each)."""
    app = call.container.app
    return _write_policy(call, AlertPolicy(**body.model_dump()), app.write_alert_policy,
                         app.alert_policy)  # fmt: skip


@router.get("/alerts")
def read_alert_policy(container: ContainerDep, user: UserDep) -> JSONResponse:
    return _policy_view(container.app.alert_policy())


def _write_policy(call: Any, policy: Any, write: Any, read: Any) -> JSONResponse:
    check_admin(call.user, "write automation rules")
    answer = call.run(lambda: write(call.ctx, policy))
    return _with_version(answer, read().as_data())


def _policy_view(policy: Any) -> JSONResponse:
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
