"""A rep leaves, taking nothing: their token stops working, every lead they hold returns to
the pool (`rep_left`), their open opportunities go to their manager or to a rep named for
them. Their history and every past report stay as they were: nothing is rewritten.

Deactivating comes first, so they take nothing more while their work is handed over; each
hand-over is a command of its own, so a deactivation cut short is finished by running it
again (a lead already back in the pool, a deal already handed over, is not touched twice)."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from api.bootstrap import Container
from api.users import UserError
from domain.context import CommandContext
from projections.ownership import open_opportunities_of


@dataclass
class Departure:
    name: str
    leads_returned: list[UUID] = field(default_factory=list)
    opportunities_to: str | None = None
    opportunities: list[UUID] = field(default_factory=list)


def deactivate(
    container: Container, by: str, name: str, opportunities_to: str | None = None
) -> Departure:
    users = container.users
    leaving = users.get(name)
    if leaving is None:
        raise UserError(f"no user {name}")
    container.after_command()  # the ledger shows every deal the store holds (embedded mode)
    deals = [UUID(d) for d in open_opportunities_of(container.docs.reader("ledger"), name)]
    heir = _heir(container, name, leaving.team, opportunities_to) if deals else opportunities_to
    users.set_active(name, False)
    departure = Departure(name, opportunities_to=heir)
    ctx = CommandContext(by, container.clock.now(), f"departure:{name}")
    app = container.app
    for lead_id in app.leads_held_by(name):
        app.return_lead_to_pool(ctx, lead_id, reason="rep_left")
        departure.leads_returned.append(lead_id)
    for deal in deals:
        if app.get_opportunity(deal).owner == name:
            assert heir is not None
            app.reassign_opportunity(ctx, deal, to_rep=heir, reason="rep_left")
            departure.opportunities.append(deal)
    container.after_command()
    return departure


def reactivate(container: Container, name: str) -> None:
    """Lets the user sign in again; what was handed over stays handed over."""
    if container.users.get(name) is None:
        raise UserError(f"no user {name}")
    container.users.set_active(name, True)


def _heir(container: Container, name: str, team: str | None, named: str | None) -> str:
    """Who takes the leaving user's open deals: the one named, else their team's manager."""
    if named is not None:
        heir = container.users.get(named)
        if heir is None or not heir.active or heir.name == name:
            raise UserError(f"{named} cannot take the opportunities: name an active user")
        return heir.name
    managers = [m for m in container.users.managers_of(team) if m != name]
    if not managers:
        raise UserError(
            f"{name} owns open opportunities and {team or 'no team'} has no other manager: "
            "name who takes them"
        )
    return managers[0]
