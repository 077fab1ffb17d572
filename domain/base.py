"""The base aggregate: every event records who acted and under which correlation id."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from domain.context import CommandContext


class SalesAggregate(Aggregate):
    """An aggregate whose events carry the acting user and correlation id."""

    class Event(Aggregate.Event):
        actor: str
        correlation_id: str

    class Created(Event, Aggregate.Created):
        pass

    def __init__(self, **_event_fields: Any) -> None:
        # State is set by each Created event's apply(), so that replay and creation share one path.
        pass

    @classmethod
    def _open(cls, event_class: type[Created], ctx: CommandContext, **fields: Any) -> Any:
        return cls._create(
            event_class,
            actor=ctx.actor,
            correlation_id=ctx.correlation_id,
            timestamp=ctx.at,
            **fields,
        )

    def _record(self, event_class: type[Event], ctx: CommandContext, **fields: Any) -> None:
        self.trigger_event(
            event_class,
            actor=ctx.actor,
            correlation_id=ctx.correlation_id,
            timestamp=ctx.at,
            **fields,
        )
