"""How the application service gets and saves aggregates, whatever its commands decide.

- A command is get → decide → save. `@command` runs it again when its save finds that another
  writer stored a newer version first (the aggregate cache is not fast-forwarded before each
  command: that would cost a query per command), so the caller only ever sees a genuine
  refusal (If-Match, a business rule), never a stale copy.
- Unknown ids become `NotFound`, a stale If-Match `VersionConflict`; queries read an
  aggregate as of a version or a moment, and catch up with events other processes saved.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from domain.base import SalesAggregate
from domain.errors import InvalidValue, NotAllowedNow, NotFound
from domain.results import CommandResult

# A command decided on state another writer had already changed is run again on fresh state;
# past this many attempts the caller is told to retry.
COMMAND_ATTEMPTS = 3

Command = TypeVar("Command", bound=Callable[..., Any])


class _DecidedOnOldState(Exception):
    """The save lost a race: the aggregates were evicted from the cache, decide again."""


def command(method: Command) -> Command:
    """Runs a command (get → decide → save) again when its save finds a newer version stored.

    The store's unique (aggregate, version) key catches a decision made on an old copy at
    save, so nothing wrong is ever stored, and the command is decided again on current state.
    """

    @functools.wraps(method)
    def run(self: SalesService, *args: Any, **kwargs: Any) -> Any:
        for attempt in range(1, COMMAND_ATTEMPTS + 1):
            try:
                return method(self, *args, **kwargs)
            except _DecidedOnOldState:
                if attempt == COMMAND_ATTEMPTS:
                    raise ConcurrentChange(
                        "the record was changed by someone else at the same time; "
                        "reload it and try again"
                    ) from None
        raise AssertionError("unreachable")

    return run  # type: ignore[return-value]


def mutate_all(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's `project_aggregate` without its runtime check that each event follows
    its mutate protocol (an isinstance against a typing.Protocol, a fifth of the time of a
    command that loads two aggregates): every event here is a SalesAggregate.Event."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class _Repository(Repository):
    """The library's repository, reconstructing aggregates with `mutate_all`."""

    def get(self, aggregate_id: Any, **options: Any) -> Any:
        options.setdefault("projector_func", mutate_all)
        return super().get(aggregate_id, **options)


class SalesService(Application):
    """An eventsourcing Application with the get and save every SalesLedger command uses.

    `transcodings` are the store's encodings of further value types (given by `store/`, which
    knows how events are stored; the domain only says what they hold).
    """

    def __init__(
        self, env: dict[str, str] | None = None, *, transcodings: Sequence[Transcoding] = ()
    ) -> None:
        self._transcodings = tuple(transcodings)
        super().__init__(env)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in self._transcodings:
            transcoder.register(transcoding)

    def construct_repository(self) -> Repository:
        repository = super().construct_repository()
        repository.__class__ = _Repository  # it only changes the default projector
        return repository

    def last_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def _get(self, kind: type[SalesAggregate], aggregate_id: UUID) -> Any:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {kind.__name__.lower()} {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {kind.__name__.lower()} {aggregate_id}")
        return aggregate

    def _get_many(self, kind: type[SalesAggregate], ids: Sequence[UUID]) -> dict[UUID, Any]:
        """The aggregates of these ids that exist (for a batch of commands): those in the
        cache from it, the others from one query when the store can read many at once (its
        recorder's `select_events_of`), else one by one. Only for kinds never snapshotted."""
        found: dict[UUID, Any] = {}
        cache = self.repository.cache
        missing = []
        for aggregate_id in ids:
            if cache is not None and aggregate_id in cache.cache:
                with contextlib.suppress(NotFound):
                    found[aggregate_id] = self._get(kind, aggregate_id)
            else:
                missing.append(aggregate_id)
        select_many = getattr(self.recorder, "select_events_of", None)
        if select_many is None:
            for aggregate_id in missing:
                with contextlib.suppress(NotFound):
                    found[aggregate_id] = self._get(kind, aggregate_id)
            return found
        events: dict[UUID, list[Any]] = {}
        for stored in select_many(missing):
            events.setdefault(stored.originator_id, []).append(self.mapper.to_domain_event(stored))
        for aggregate_id, history in events.items():
            aggregate = mutate_all(None, history)
            if isinstance(aggregate, kind):
                found[aggregate_id] = aggregate
        return found

    def _get_expecting(
        self, kind: type[SalesAggregate], aggregate_id: UUID, expected_version: int | None
    ) -> Any:
        """The aggregate for a command, refused if the caller saw another version (If-Match)."""
        aggregate = self._get(kind, aggregate_id)
        if expected_version is not None and aggregate.version != expected_version:
            raise VersionConflict(
                f"{kind.__name__.lower()} is at version {aggregate.version}, "
                f"not {expected_version}; reload it and try again",
                field="If-Match",
            )
        return aggregate

    def _forget(self, *aggregates: SalesAggregate) -> None:
        """Drops cached copies, so the next command rebuilds them from the store."""
        if self.repository.cache is not None:
            for aggregate in aggregates:
                with contextlib.suppress(KeyError):
                    self.repository.cache.get(aggregate.id, evict=True)

    def _current(self, kind: type[SalesAggregate], aggregate_id: UUID) -> Any:
        """The aggregate with every stored event, even one another process saved since this
        process cached it: for queries, and for aggregates a command reads but does not save."""
        aggregate = self._get(kind, aggregate_id)
        if self.repository.cache is None:
            return aggregate
        newer = list(self.events.get(aggregate_id, gt=aggregate.version))
        if newer:
            aggregate = mutate_all(aggregate, newer)
            self._forget(aggregate)
        return aggregate

    def _get_at(
        self,
        kind: type[SalesAggregate],
        aggregate_id: UUID,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> Any:
        if as_of is not None:
            version = self._version_at(kind, aggregate_id, as_of)
        if version is None:
            return self._current(kind, aggregate_id)
        if version < 1:
            raise InvalidValue("version must be 1 or more", field="version")
        aggregate = self._get(kind, aggregate_id)
        if version > aggregate.version:
            raise NotFound(f"{kind.__name__.lower()} {aggregate_id} has no version {version}")
        return self.repository.get(aggregate_id, version=version)

    def _version_at(self, kind: type[SalesAggregate], aggregate_id: UUID, as_of: datetime) -> int:
        if as_of.tzinfo is None:
            raise InvalidValue("as_of needs a UTC offset", field="as_of")
        version = 0
        for event in self.events.get(aggregate_id):
            if event.timestamp > as_of:
                break
            version = event.originator_version
        if version == 0:
            raise NotFound(f"no {kind.__name__.lower()} {aggregate_id} at {as_of.isoformat()}")
        return version

    def _save(self, primary: SalesAggregate, *others: SalesAggregate) -> CommandResult:
        try:
            recordings = self.save(primary, *others)
        except IntegrityError:
            self._forget(primary, *others)
            raise _DecidedOnOldState from None
        position = max((r.notification.id for r in recordings), default=0)
        return CommandResult(primary.id, primary.version, position)


class VersionConflict(NotAllowedNow):
    """The caller saw an older version than the one stored (If-Match failed)."""


class ConcurrentChange(NotAllowedNow):
    """Another command saved a new version of the aggregate first."""
