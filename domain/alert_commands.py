"""Raising and acknowledging alerts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.alerts import Alert, AlertRaisedAlready, alert_id
from domain.context import CommandContext
from domain.results import CommandResult
from domain.service import SalesService, command


class AlertCommands(SalesService):
    @command
    def raise_alert(self, ctx: CommandContext, **alert: Any) -> CommandResult:
        """Raises the alert (see `Alert.raise_`), unless it was raised already."""
        new = self._new_alert(ctx, **alert)
        if new is None:
            raise AlertRaisedAlready("this alert was raised already")
        return self._save(new)

    @command
    def acknowledge_alert(self, ctx: CommandContext, alert: UUID) -> CommandResult:
        found: Alert = self._get(Alert, alert)
        found.acknowledge(ctx)
        return self._save(found)

    def get_alert(self, alert: UUID) -> Alert:
        return self._current(Alert, alert)

    def _new_alert(self, ctx: CommandContext, **alert: Any) -> Alert | None:
        """The alert to save with a command's other aggregates, or None if it exists: its id
        is deterministic, so a save racing another's fails and the command is decided again."""
        kind, subject, occasion = alert["kind"], alert["subject"][1], alert["occasion"]
        try:
            self.repository.get(alert_id(kind, subject, occasion))
        except AggregateNotFoundError:
            return Alert.raise_(ctx, **alert)
        return None
