"""Who may see and change what (DESIGN.md §1): reps their own, managers their team, admins all."""

from __future__ import annotations

from collections.abc import Mapping

from api.problems import ApiProblem
from api.users import Role, User
from domain.leads import Lead
from domain.opportunities import Opportunity
from projections.filters import ReportFilter


def may_handle(user: User, owner: str | None, teams: Mapping[str, str | None]) -> bool:
    """Whether the user may act for work held by `owner` (None: the company's pool)."""
    if user.is_admin:
        return True
    if user.is_manager:
        return owner is None or (user.team is not None and teams.get(owner) == user.team)
    return owner == user.name


def check_lead(
    user: User, lead: Lead, teams: Mapping[str, str | None], *, pool: bool = False
) -> None:
    """The user may work the lead: hold it, or manage its holder's team, or be an admin. A
    lead in the pool is worked by claiming it first; only where `pool` (a manager's triage:
    scoring, assigning, nurturing or reactivating it) may a manager act on it unheld."""
    if lead.holder is None and not pool and not user.is_admin:
        raise ApiProblem(403, "Forbidden", "claim the lead from the pool before working it")
    if not may_handle(user, lead.holder, teams):
        if lead.holder is None:
            raise ApiProblem(403, "Forbidden", "claim the lead from the pool before working it")
        raise ApiProblem(403, "Forbidden", f"the lead is held by {lead.holder}, not by you")


def check_lead_reader(user: User, lead: Lead, teams: Mapping[str, str | None]) -> bool:
    """Whether the reader of a lead sees its contact details. A held lead is read only by
    whoever may work it, and they see them; a pool lead by anyone, masked but for admins."""
    if lead.holder is None:
        return user.is_admin
    check_lead(user, lead, teams)
    return True


def check_opportunity(user: User, opp: Opportunity, teams: Mapping[str, str | None]) -> None:
    if not may_handle(user, opp.owner, teams):
        raise ApiProblem(403, "Forbidden", f"the opportunity belongs to {opp.owner}")


def check_manager(user: User, action: str) -> None:
    if user.role == Role.REP:
        raise ApiProblem(403, "Forbidden", f"only a manager or an admin may {action}")


def check_admin(user: User, action: str) -> None:
    if not user.is_admin:
        raise ApiProblem(403, "Forbidden", f"only an admin may {action}")


def check_rep_target(
    user: User, rep: str, known: Mapping[str, str | None], field: str = "rep"
) -> None:
    """A rep named in a command must exist, and a manager may only name one of their team."""
    if rep not in known:
        raise ApiProblem(422, "Invalid Value", f"no user named {rep}", field)
    if not may_handle(user, rep, known):
        raise ApiProblem(403, "Forbidden", f"{rep} is not in your team", field)


def scoped_filter(user: User, requested: ReportFilter) -> ReportFilter:
    """The report filter narrowed to what the user may see; asking for more is refused."""
    if user.is_admin:
        return requested
    if user.is_manager:
        if requested.team not in (None, user.team):
            raise ApiProblem(403, "Forbidden", "managers see their own team's reports", "team")
        return ReportFilter(requested.rep, user.team, requested.product_line)
    if requested.rep not in (None, user.name) or requested.team is not None:
        raise ApiProblem(403, "Forbidden", "reps see their own figures only", "rep")
    return ReportFilter(user.name, None, requested.product_line)
