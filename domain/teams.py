"""A user's team over time: joining one and moving to another are events, so a report
counts a rep's work for the team they were in when they did it, not the one they are in now."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import SalesAggregate
from domain.context import CommandContext
from domain.errors import InvalidValue, NotAllowedNow

TEAM_NAME_LIMIT = 64


def membership_id(rep: str) -> UUID:
    """One membership per user name: a deterministic id is the uniqueness index."""
    return uuid5(NAMESPACE_URL, f"salesledger:membership:{rep}")


class TeamMembership(SalesAggregate):
    """The team a user (a rep or a manager) belongs to, or none."""

    class Joined(SalesAggregate.Created):
        rep: str
        team: str | None
        previous_team: str | None

        def apply(self, membership: TeamMembership) -> None:
            membership.rep = self.rep
            membership.team = self.team

    class Moved(SalesAggregate.Event):
        rep: str
        team: str | None
        previous_team: str | None

        def apply(self, membership: TeamMembership) -> None:
            membership.team = self.team

    if TYPE_CHECKING:
        rep: str
        team: str | None

    @classmethod
    def join(
        cls, ctx: CommandContext, rep: str, team: str | None, previous_team: str | None
    ) -> TeamMembership:
        """The first recorded membership; `previous_team` is the team the user directory had
        for them before memberships were recorded (their earlier work counts for it)."""
        return cls._open(cls.Joined, ctx, id=membership_id(rep), rep=rep,
                         team=checked_team(team), previous_team=previous_team)  # fmt: skip

    def move_to(self, ctx: CommandContext, team: str | None) -> None:
        team = checked_team(team)
        if team == self.team:
            raise NotAllowedNow(f"{self.rep} is already in {team or 'no team'}", field="team")
        self._record(self.Moved, ctx, rep=self.rep, team=team, previous_team=self.team)


def checked_team(team: str | None) -> str | None:
    """The team name, trimmed; refused when empty or too long."""
    if team is None:
        return None
    team = team.strip()
    if not team or len(team) > TEAM_NAME_LIMIT:
        raise InvalidValue(f"a team is 1 to {TEAM_NAME_LIMIT} characters", field="team")
    return team
