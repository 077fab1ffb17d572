"""The team commands: a user joins a team, or moves to another (or to none)."""

from __future__ import annotations

from eventsourcing.application import AggregateNotFoundError

from domain.context import CommandContext
from domain.results import CommandResult
from domain.service import SalesService, command
from domain.teams import TeamMembership, membership_id


class TeamCommands(SalesService):
    @command
    def move_to_team(
        self, ctx: CommandContext, rep: str, team: str | None, *, known_team: str | None = None
    ) -> CommandResult:
        """Records that `rep` is in `team` from now on. `known_team` is the team the caller
        knew them in before any membership was recorded (the user directory's)."""
        try:
            membership: TeamMembership = self.repository.get(membership_id(rep))
        except AggregateNotFoundError:
            membership = TeamMembership.join(ctx, rep, team, known_team)
        else:
            membership.move_to(ctx, team)
        return self._save(membership)
