"""SalesPipeline: the eventsourcing Application whose commands drive leads and opportunities."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application, project_aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from domain.base import SalesAggregate
from domain.context import CommandContext
from domain.errors import InvalidValue, NotAllowedNow, NotFound
from domain.fast_envelopes import EnvelopeReader, LogRow, row_of
from domain.followups import FollowUp
from domain.leads import Lead
from domain.opportunities import Opportunity
from domain.pipelines import Pipeline, pipeline_id
from domain.published import envelope_of
from domain.scoring import DEFAULT_RULES, Authority, ScoringRules
from domain.stages import DEFAULT_PRODUCT_LINE, DEFAULT_STAGES, StageModel
from domain.workloads import RepWorkload, workload_id

DEFAULT_CLAIM_LIMIT = 50
# A command decided on state another writer had already changed is run again on fresh state;
# past this many attempts the caller is told to retry.
COMMAND_ATTEMPTS = 3

Command = TypeVar("Command", bound=Callable[..., Any])


class _DecidedOnOldState(Exception):
    """The save lost a race: the aggregates were evicted from the cache, decide again."""


def command(method: Command) -> Command:
    """Runs a command (get → decide → save) again when its save finds a newer version stored.

    The aggregate cache is not fast-forwarded before each command (that costs a query per
    command); an aggregate cached by this process may be behind one changed by another process.
    The store's unique (aggregate, version) key catches that at save, so nothing wrong is ever
    stored, and the command is decided again on the current state: the caller sees only a
    genuine refusal (If-Match, a business rule), never the cache.
    """

    @functools.wraps(method)
    def run(self: SalesPipeline, *args: Any, **kwargs: Any) -> Any:
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


@dataclass(frozen=True)
class CommandResult:
    """What a caller needs after a command: the aggregate, its new version, the store position."""

    id: UUID
    version: int
    position: int


@dataclass(frozen=True)
class ScoreResult(CommandResult):
    score: int = 0
    tier: str = ""


@dataclass(frozen=True)
class ConversionResult(CommandResult):
    opportunity_id: UUID = UUID(int=0)
    opportunity_version: int = 0


@dataclass(frozen=True)
class LogEntry:
    """One notification of the store's log: its position, public envelope (if published) and
    the event's chain hash (what the audit trail's log chain links)."""

    position: int
    envelope: dict[str, Any] | None
    chain: str = ""


@dataclass(frozen=True)
class HistoryPage:
    """Some of an aggregate's events, and how many it has in all."""

    envelopes: list[dict[str, Any]]
    total: int


@dataclass(frozen=True)
class EnvelopeBatch:
    """Public envelopes read from the notification log, and the last position read."""

    envelopes: list[dict[str, Any]]
    last_position: int


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class SalesPipeline(Application):
    """Leads, opportunities and pipelines: each command is get → decide → save."""

    name = "SalesPipeline"
    # A rep's workload gains two events per lead taken and given up, for as long as the rep
    # works here: loading it must not replay all of them.
    snapshotting_intervals: ClassVar = {RepWorkload: 50}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        rules: ScoringRules = DEFAULT_RULES,
        claim_limit: int = DEFAULT_CLAIM_LIMIT,
        currency: str = "CNY",
    ) -> None:
        super().__init__(env)
        self._envelopes = EnvelopeReader(self.mapper)
        self.rules = rules
        self.claim_limit = claim_limit
        self.currency = currency

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # --- leads ---

    @command
    def capture_lead(self, ctx: CommandContext, **details: Any) -> CommandResult:
        lead = Lead.capture(ctx, **details)
        return self._save(lead)

    @command
    def score_lead(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        *,
        budget: Decimal,
        authority: Authority,
        need_clear: bool,
        timeline_days: int,
        expected_version: int | None = None,
    ) -> ScoreResult:
        lead = self._get_lead(lead_id, expected_version)
        lead.score_bant(
            ctx,
            self.rules,
            budget=budget,
            authority=authority,
            need_clear=need_clear,
            timeline_days=timeline_days,
        )
        result = self._save(lead)
        return ScoreResult(**vars(result), score=lead.score or 0, tier=lead.tier or "")

    @command
    def claim_lead(
        self, ctx: CommandContext, lead_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        lead = self._get_lead(lead_id, expected_version)
        workload = self._workload(ctx.actor, ctx)
        lead.claim(ctx, held_by_rep=workload.held_count, claim_limit=self.claim_limit)
        workload.take(lead.id, ctx)
        return self._save(lead, workload)

    @command
    def assign_lead(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        *,
        rep: str,
        rule: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change_lead(ctx, lead_id, expected_version, Lead.assign, rep=rep, rule=rule)

    @command
    def release_lead(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        *,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change_lead(ctx, lead_id, expected_version, Lead.release, reason=reason)

    @command
    def return_lead_to_pool(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        *,
        reason: str,
        idle_days: int | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change_lead(
            ctx, lead_id, expected_version, Lead.return_to_pool, reason=reason, idle_days=idle_days
        )

    @command
    def follow_up_lead(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        follow_up: FollowUp,
        *,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change_lead(ctx, lead_id, expected_version, Lead.log_follow_up, follow_up)

    @command
    def qualify_lead(
        self, ctx: CommandContext, lead_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        return self._change_lead(ctx, lead_id, expected_version, Lead.qualify)

    @command
    def disqualify_lead(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        *,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change_lead(ctx, lead_id, expected_version, Lead.disqualify, reason=reason)

    @command
    def nurture_lead(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        *,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change_lead(ctx, lead_id, expected_version, Lead.nurture, reason=reason)

    @command
    def reactivate_lead(
        self, ctx: CommandContext, lead_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        return self._change_lead(ctx, lead_id, expected_version, Lead.reactivate)

    @command
    def correct_lead_details(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        changes: dict[str, Any],
        *,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._change_lead(ctx, lead_id, expected_version, Lead.correct_details, changes)

    @command
    def convert_lead(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        *,
        name: str,
        amount: Decimal,
        expected_close: date,
        product_line: str | None = None,
        expected_version: int | None = None,
    ) -> ConversionResult:
        """Opens an opportunity from the lead; both are saved atomically."""
        lead = self._get_lead(lead_id, expected_version)
        holder_before = lead.active_holder()
        product_line = product_line or DEFAULT_PRODUCT_LINE
        opportunity = Opportunity.open(
            ctx,
            self.stages_for(product_line),
            name=name,
            customer=lead.company,
            owner=lead.holder or ctx.actor,
            amount=amount,
            currency=self.currency,
            product_line=product_line,
            expected_close=expected_close,
            lead_id=lead.id,
            opportunity_id=uuid4(),
        )
        lead.convert(ctx, opportunity_id=opportunity.id)
        workloads = self._workload_changes(lead, holder_before, ctx)
        result = self._save(lead, opportunity, *workloads)
        return ConversionResult(
            **vars(result),
            opportunity_id=opportunity.id,
            opportunity_version=opportunity.version,
        )

    # --- opportunities ---

    @command
    def open_opportunity(
        self,
        ctx: CommandContext,
        *,
        name: str,
        customer: str,
        amount: Decimal,
        expected_close: date,
        product_line: str | None = None,
        owner: str | None = None,
        lead_id: UUID | None = None,
        currency: str | None = None,
    ) -> CommandResult:
        if currency is not None and currency != self.currency:
            raise InvalidValue(
                f"currency must be {self.currency} (the deployment's currency)", field="currency"
            )
        if lead_id is not None:
            self._get(Lead, lead_id)
        product_line = product_line or DEFAULT_PRODUCT_LINE
        opportunity = Opportunity.open(
            ctx,
            self.stages_for(product_line),
            name=name,
            customer=customer,
            owner=owner or ctx.actor,
            amount=amount,
            currency=self.currency,
            product_line=product_line,
            expected_close=expected_close,
            lead_id=lead_id,
        )
        return self._save(opportunity)

    @command
    def move_opportunity(
        self,
        ctx: CommandContext,
        opportunity_id: UUID,
        *,
        stage: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        opp = self._get_opportunity(opportunity_id, expected_version)
        opp.move_to_stage(ctx, self.stages_for(opp.product_line), stage=stage)
        return self._save(opp)

    @command
    def change_opportunity_amount(
        self,
        ctx: CommandContext,
        opportunity_id: UUID,
        *,
        amount: Decimal,
        expected_version: int | None = None,
    ) -> CommandResult:
        opp = self._get_opportunity(opportunity_id, expected_version)
        opp.change_amount(ctx, amount=amount)
        return self._save(opp)

    @command
    def change_opportunity_close_date(
        self,
        ctx: CommandContext,
        opportunity_id: UUID,
        *,
        expected_close: date,
        expected_version: int | None = None,
    ) -> CommandResult:
        opp = self._get_opportunity(opportunity_id, expected_version)
        opp.change_close_date(ctx, expected_close=expected_close)
        return self._save(opp)

    @command
    def reassign_opportunity(
        self,
        ctx: CommandContext,
        opportunity_id: UUID,
        *,
        to_rep: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        opp = self._get_opportunity(opportunity_id, expected_version)
        opp.reassign(ctx, to_rep=to_rep)
        return self._save(opp)

    @command
    def follow_up_opportunity(
        self,
        ctx: CommandContext,
        opportunity_id: UUID,
        follow_up: FollowUp,
        *,
        expected_version: int | None = None,
    ) -> CommandResult:
        opp = self._get_opportunity(opportunity_id, expected_version)
        opp.log_follow_up(ctx, follow_up)
        return self._save(opp)

    @command
    def win_opportunity(
        self,
        ctx: CommandContext,
        opportunity_id: UUID,
        *,
        amount: Decimal | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        opp = self._get_opportunity(opportunity_id, expected_version)
        opp.win(ctx, amount=amount)
        return self._save(opp)

    @command
    def lose_opportunity(
        self,
        ctx: CommandContext,
        opportunity_id: UUID,
        *,
        reason: str,
        competitor: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        opp = self._get_opportunity(opportunity_id, expected_version)
        opp.lose(ctx, reason=reason, competitor=competitor)
        return self._save(opp)

    @command
    def reopen_opportunity(
        self, ctx: CommandContext, opportunity_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        opp = self._get_opportunity(opportunity_id, expected_version)
        opp.reopen(ctx, self.stages_for(opp.product_line))
        return self._save(opp)

    # --- pipelines ---

    @command
    def define_pipeline(
        self, ctx: CommandContext, product_line: str, stages: list[dict[str, Any]]
    ) -> CommandResult:
        model = StageModel.from_dicts(stages)
        try:
            pipeline: Pipeline = self.repository.get(pipeline_id(product_line))
        except AggregateNotFoundError:
            pipeline = Pipeline.define(product_line, model, ctx)
        else:
            if pipeline.stage_model == model:
                raise NotAllowedNow("the pipeline already has these stages", field="stages")
            pipeline.redefine(model, ctx)
        return self._save(pipeline)

    def stages_for(self, product_line: str, as_of: datetime | None = None) -> StageModel:
        """The product line's stages (as they were at `as_of`), or the default pipeline."""
        try:
            pipeline: Pipeline = self._get_at(Pipeline, pipeline_id(product_line), as_of=as_of)
        except NotFound:
            return DEFAULT_STAGES
        return pipeline.stage_model

    # --- queries on aggregates ---

    def get_lead(
        self, lead_id: UUID, *, version: int | None = None, as_of: datetime | None = None
    ) -> Lead:
        return self._get_at(Lead, lead_id, version=version, as_of=as_of)

    def get_opportunity(
        self, opportunity_id: UUID, *, version: int | None = None, as_of: datetime | None = None
    ) -> Opportunity:
        return self._get_at(Opportunity, opportunity_id, version=version, as_of=as_of)

    def history(
        self,
        kind: type[SalesAggregate],
        aggregate_id: UUID,
        *,
        after_version: int = 0,
        limit: int = 100,
    ) -> HistoryPage:
        """A page of an aggregate's events, oldest first, as public envelopes (unmasked)."""
        current = self._get(kind, aggregate_id)
        events = self.events.get(aggregate_id, gt=after_version, lte=after_version + limit)
        envelopes = [e for e in (envelope_of(event, None) for event in events) if e is not None]
        return HistoryPage(envelopes=envelopes, total=current.version)

    def read_log(self, after: int, limit: int = 1000) -> list[LogEntry]:
        """The notifications stored after a position, in order, each with its public envelope
        (None for internal bookkeeping events, which are never published)."""
        return [
            LogEntry(row[0], *self._envelopes.read(row)) for row in self._log_rows(after, limit)
        ]

    def read_envelopes(self, after: int, limit: int = 1000) -> EnvelopeBatch:
        """Public envelopes of the events stored after a position, in notification order."""
        rows = self._log_rows(after, limit)
        envelopes = [e for e in map(self._envelopes.envelope, rows) if e is not None]
        return EnvelopeBatch(envelopes, rows[-1][0] if rows else after)

    def _log_rows(self, after: int, limit: int) -> Sequence[LogRow]:
        # The SalesLedger stores (api.event_store) read plain rows; any other recorder
        # (the in-memory one of unit tests) gives notifications.
        select_log_rows = getattr(self.recorder, "select_log_rows", None)
        if select_log_rows is not None:
            return select_log_rows(after, limit)
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        return [row_of(n) for n in notifications]

    def all_envelopes(self, after: int = 0, batch_size: int = 1000) -> Iterator[dict[str, Any]]:
        """The public envelopes after a position, to the end of the log, in order."""
        position = after
        while True:
            batch = self.read_envelopes(position, batch_size)
            yield from batch.envelopes
            if batch.last_position == position:
                return
            position = batch.last_position

    def last_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    # --- helpers ---

    def _change_lead(
        self,
        ctx: CommandContext,
        lead_id: UUID,
        expected_version: int | None,
        command: Any,
        *args: Any,
        **kwargs: Any,
    ) -> CommandResult:
        """Runs a lead command and keeps the reps' workloads in step with who holds the lead."""
        lead = self._get_lead(lead_id, expected_version)
        holder_before = lead.active_holder()
        command(lead, ctx, *args, **kwargs)
        return self._save(lead, *self._workload_changes(lead, holder_before, ctx))

    def _workload_changes(
        self, lead: Lead, holder_before: str | None, ctx: CommandContext
    ) -> list[RepWorkload]:
        holder_after = lead.active_holder()
        if holder_before == holder_after:
            return []
        changed = []
        if holder_before is not None:
            before = self._workload(holder_before, ctx)
            before.give_up(lead.id, ctx)
            changed.append(before)
        if holder_after is not None:
            after = self._workload(holder_after, ctx)
            after.take(lead.id, ctx)
            changed.append(after)
        return changed

    def _workload(self, rep: str, ctx: CommandContext) -> RepWorkload:
        try:
            return self.repository.get(workload_id(rep))
        except AggregateNotFoundError:
            return RepWorkload.start(rep, ctx)

    def _get_lead(self, lead_id: UUID, expected_version: int | None) -> Lead:
        return self._expect_version(self._get(Lead, lead_id), expected_version)

    def _get_opportunity(self, opportunity_id: UUID, expected_version: int | None) -> Opportunity:
        return self._expect_version(self._get(Opportunity, opportunity_id), expected_version)

    def _get(self, kind: type[SalesAggregate], aggregate_id: UUID) -> Any:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {kind.__name__.lower()} {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {kind.__name__.lower()} {aggregate_id}")
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
            aggregate = project_aggregate(aggregate, newer)
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

    @staticmethod
    def _expect_version(aggregate: Any, expected_version: int | None) -> Any:
        if expected_version is not None and aggregate.version != expected_version:
            raise VersionConflict(
                f"{type(aggregate).__name__.lower()} is at version {aggregate.version}, "
                f"not {expected_version}; reload it and try again",
                field="If-Match",
            )
        return aggregate

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
