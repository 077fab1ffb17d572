"""The base aggregate: every event records who acted and under which correlation id."""

from __future__ import annotations

from copy import deepcopy
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain.chain import GENESIS, event_chain
from domain.context import CommandContext

_IMMUTABLE = frozenset({str, int, float, bool, type(None), Decimal, datetime, date, UUID})


def _copied(value: Any, memo: dict[int, Any]) -> Any:
    kind = type(value)
    if kind in _IMMUTABLE:
        return value
    if kind is list and all(type(item) in _IMMUTABLE for item in value):
        return list(value)
    return deepcopy(value, memo)


class SalesAggregate(Aggregate):
    """An aggregate whose events carry the acting user, the correlation id, and a hash chained
    to the aggregate's previous event (tamper evidence)."""

    class Event(Aggregate.Event):
        actor: str
        correlation_id: str
        chain: str

        def mutate(self, aggregate: Any) -> Any:
            aggregate = super().mutate(aggregate)
            aggregate._chain = self.chain  # the link the next event hashes onto
            return aggregate

    class Created(Event, Aggregate.Created):
        pass

    if TYPE_CHECKING:  # set by every event's mutate(); not a constructor field
        _chain: str

    def __init__(self, **_event_fields: Any) -> None:
        # State is set by each Created event's apply(), so that replay and creation share one path.
        pass

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        """The copy each command gets from the aggregate cache (commands never share or corrupt
        the cached one). Values of immutable types are shared, everything else deep-copied:
        the generic deepcopy walked every string and number, a fifth of a command's time. A
        list of immutable values (a rep's lead ids) is copied as a list: deep-copying 500
        UUIDs one by one was two thirds of a scheduler's return to the pool."""
        copy = object.__new__(type(self))
        memo[id(self)] = copy
        copy.__dict__.update((name, _copied(value, memo)) for name, value in self.__dict__.items())
        return copy

    @classmethod
    def _open(
        cls, event_class: type[Created], ctx: CommandContext, id: UUID | None = None, **fields: Any
    ) -> Any:
        aggregate_id = id or uuid4()
        meta = {"actor": ctx.actor, "correlation_id": ctx.correlation_id}
        chain = event_chain(
            GENESIS, get_topic(event_class), aggregate_id, cls.INITIAL_VERSION, ctx.at,
            meta | fields,
        )  # fmt: skip
        return cls._create(
            event_class, id=aggregate_id, timestamp=ctx.at, chain=chain, **meta, **fields
        )

    def _record(self, event_class: type[Event], ctx: CommandContext, **fields: Any) -> None:
        meta = {"actor": ctx.actor, "correlation_id": ctx.correlation_id}
        chain = event_chain(
            self._chain, get_topic(event_class), self.id, self.version + 1, ctx.at, meta | fields
        )
        self.trigger_event(event_class, timestamp=ctx.at, chain=chain, **meta, **fields)
