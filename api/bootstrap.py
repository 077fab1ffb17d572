"""The composition root: reads settings and wires the store, read models, users and the bus.

`Container` is data: the parts every entrypoint (the API, each `salesledger` command, the
child processes of the relay and of rebuilds, the tests) is given. The functions below build
it and the workers made from it; nothing below `api/` imports this module.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import psycopg2

from api.idempotency import IdempotencyStore
from api.oidc import IdentityProvider
from api.progress import progress_bar
from api.settings import Settings
from api.users import UserDirectory
from consumers.alert_jobs import QuietRepJob, StaleDealJob, UntouchedLeadJob
from consumers.in_process import StoreFollower
from consumers.kafka_io import all_topics, ensure_topics, make_consumer, make_producer
from consumers.pool_job import PoolJob
from consumers.positions import PositionStore
from consumers.projector import KafkaProjector, group_of
from consumers.read_ahead import ReadAhead
from consumers.rebuild_jobs import AggregatePart, rebuild_in_jobs
from consumers.relay import LogMessages, Relay
from consumers.scheduler import Scheduler
from consumers.timed_jobs import ReevaluationJob, ReminderJob, SlaJob
from domain.application import SalesPipeline
from domain.context import Clock, SystemClock
from domain.published import mask_personal_data
from projections.base import Projection
from projections.catalog import all_projections
from projections.rebuild import rebuild, rebuild_part
from projections.replay import Rebuilt
from projections.sql_store import SqlDocStore
from store.audit import AuditTrail, protect_event_table
from store.contact_keys import ContactKeys
from store.database import Database, schema_lock
from store.event_store import open_pipeline
from store.log_reader import PublishedLog

log = logging.getLogger("salesledger")
Envelope = dict[str, Any]


@dataclass
class Container:
    """Everything a request, a command-line call or a test needs, built once."""

    settings: Settings
    clock: Clock
    app: SalesPipeline
    db: Database
    docs: SqlDocStore
    users: UserDirectory
    idempotency: IdempotencyStore
    projections: list[Projection]
    positions: PositionStore
    audit: AuditTrail
    # the envelope as it leaves the store: contact details masked
    publish: Callable[[Envelope], Envelope]
    # the published events after a position, in log order, as consumers see them
    public_envelopes: Callable[..., Iterator[Envelope]]
    # embedded mode: the store's log delivered to the read models in this process
    follower: StoreFollower | None = None
    # bearer JWTs of an identity provider, where SALESLEDGER_OIDC_* name one
    identity_provider: IdentityProvider | None = None

    def after_command(self) -> None:
        """In-process delivery: a report reflects a command as soon as the command returns."""
        if self.follower is not None:
            self.follower.deliver_now()

    def before_report(self) -> None:
        """In-process delivery of what other processes stored, unless a delivery is under way
        already: the caller's own commands were delivered before they returned, so a report
        need not queue behind the other requests' deliveries to see them."""
        if self.follower is not None:
            self.follower.deliver_now(wait=False)

    def close(self) -> None:
        self.app.close()
        if self.audit.db is not self.db:
            self.audit.db.close()
        self.db.close()


def build(settings: Settings | None = None, clock: Clock | None = None) -> Container:
    settings = settings or Settings()
    clock = clock or SystemClock()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with schema_lock(settings.database_url):
        app = open_pipeline(
            settings.event_store_env(),
            claim_limit=settings.claim_limit,
            currency=settings.currency,
            rules=settings.scoring_rules(),
        )
    if settings.database_url is None:
        db = Database.sqlite(str(settings.data_dir / "readmodels.sqlite"))
        # The store's own file holds its audit seals, beside the events they seal.
        store_db = Database.sqlite(settings.event_store_env()["SQLITE_DBNAME"])
    else:
        db = Database.postgres(partial(psycopg2.connect, settings.database_url))
        store_db = db
    with schema_lock(settings.database_url):
        app.vault = ContactKeys(store_db)  # each lead's contact key, beside its events
    projections = all_projections(app.rules)
    publish = partial(mask_personal_data, key=_pii_key(settings), vault=app.vault)
    public_envelopes = PublishedLog(app, publish)
    with schema_lock(settings.database_url):
        protect_event_table(app, store_db)
        audit = AuditTrail(app, store_db)
        docs = SqlDocStore(db)
        # Tables of an older schema were made anew: fill them before any process reads them.
        _rebuild_stale(docs, projections, public_envelopes, app)
        users = UserDirectory(db, token_lifetime=timedelta(days=settings.token_days))
        app.roster = users.roster  # assignment rules choose among the directory's users
        idempotency = IdempotencyStore(db)
        positions = PositionStore(db)
    container = Container(
        settings=settings,
        clock=clock,
        app=app,
        db=db,
        docs=docs,
        users=users,
        idempotency=idempotency,
        projections=projections,
        positions=positions,
        audit=audit,
        publish=publish,
        public_envelopes=public_envelopes,
    )
    if settings.oidc_issuer and settings.oidc_jwks_url:
        container.identity_provider = IdentityProvider(settings)
    if settings.kafka_bootstrap is None:
        # No Kafka: the store's log is delivered to the projections in this process.
        container.follower = StoreFollower(app, docs, projections, publish, after_batch=audit.seal)
    return container


def _rebuild_stale(
    docs: SqlDocStore,
    projections: list[Projection],
    envelopes: Callable[[int], Iterator[Envelope]],
    app: SalesPipeline,
) -> None:
    stale = [p for p in projections if p.name in docs.stale]
    if not stale:
        return
    names = ", ".join(p.name for p in stale)
    log.warning("read models %s are of an older schema version: rebuilding them", names)
    rebuilding = [p.name for p in stale]
    with progress_bar(app.last_position(), f"rebuild {names}", rebuilding=rebuilding) as tick:
        rebuild(stale, envelopes, docs, on_event=tick)


def relay_of(container: Container, *, read_ahead: bool = False) -> Relay:
    """The store → Kafka relay, with its topics created; with `read_ahead`, a child process
    reads and encodes the next batch while this one sends the last."""
    settings = container.settings
    bootstrap = kafka_of(settings)
    ensure_topics(bootstrap, settings.topic_prefix, settings.kafka_partitions)
    messages = LogMessages(container.app, container.publish, settings.topic_prefix)
    read: Callable[[int, int], Any] = messages
    if read_ahead:
        read = ReadAhead(partial(_log_messages, settings), messages)
        read.start()

    def seal_relayed(after: int, entries: list) -> None:
        container.audit.seal_read(after, [(e.position, e.chain) for e in entries])

    return Relay(
        container.app,
        container.positions,
        partial(make_producer, bootstrap),
        read,
        gap_timeout=settings.relay_gap_timeout,
        linger=settings.relay_linger,
        after_batch=seal_relayed,
    )


def projector_of(container: Container, names: list[str] | None = None) -> KafkaProjector:
    """The Kafka projector of the named read models (all when none are named): one consumer
    group, named after them, so two processes given the same names share the partitions."""
    settings = container.settings
    bootstrap = kafka_of(settings)
    ensure_topics(bootstrap, settings.topic_prefix, settings.kafka_partitions)
    chosen = chosen_projections(container, names)
    return KafkaProjector(
        chosen,
        container.docs,
        make_consumer(bootstrap, group_of(settings.topic_prefix, chosen)),
        all_topics(settings.topic_prefix),
    )


def chosen_projections(container: Container, names: list[str] | None) -> list[Projection]:
    """The named read models (all when none are named); an unknown name is an error."""
    known = {p.name: p for p in container.projections}
    unknown = sorted(set(names or []) - set(known))
    if unknown:
        raise ValueError(f"no read model named {unknown[0]}; known: {', '.join(known)}")
    return [known[n] for n in names] if names else list(container.projections)


ALL_JOBS = (PoolJob, SlaJob, ReevaluationJob, ReminderJob, QuietRepJob, UntouchedLeadJob,
            StaleDealJob)  # fmt: skip


def scheduler_of(container: Container, kinds: Sequence[type] = ALL_JOBS) -> Scheduler:
    """The scheduler of every time-driven rule over this container's store and ledger; in the
    embedded mode each pass first delivers the store's log to the ledger, so it decides on all
    of it."""
    app, tables = container.app, partial(container.docs.reader, "ledger")
    jobs = [kind(app, tables) for kind in kinds]
    return Scheduler(jobs, container.users.teams, container.clock, refresh=container.after_command)


def kafka_of(settings: Settings) -> str:
    if settings.kafka_bootstrap is None:
        raise ValueError("SALESLEDGER_KAFKA_BOOTSTRAP is not set: there is no Kafka to use")
    return settings.kafka_bootstrap


def _log_messages(settings: Settings) -> LogMessages:
    """The relay's reader, built in the read-ahead child process from the relay's settings."""
    container = build(settings)
    return LogMessages(container.app, container.publish, settings.topic_prefix)


def _pii_key(settings: Settings) -> bytes:
    if settings.pii_key:
        return settings.pii_key.encode()
    path: Path = settings.data_dir / "pii.key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


def rebuild_read_models(
    container: Container,
    projections: list[Projection],
    until: datetime | None,
    jobs: int,
    on_event: Callable[[Envelope], None] | None = None,
) -> Rebuilt:
    """Rebuilds read models from the store in `jobs` processes (see consumers.rebuild_jobs)."""
    return rebuild_in_jobs(
        projections,
        container.public_envelopes,
        container.docs,
        partial(_rebuild_group, container.settings),
        partial(_rebuild_part, container.settings),
        until,
        jobs,
        on_event,
    )


def _rebuild_group(settings: Settings, names: list[str], until: datetime | None) -> int:
    """One group of read models rebuilt in a process of its own, with a container of its own."""
    container = build(settings)
    try:
        projections = chosen_projections(container, names)
        return rebuild(projections, container.public_envelopes, container.docs, until).events
    finally:
        container.close()


def _rebuild_part(
    settings: Settings, names: list[str], part: AggregatePart, paths: dict[str, str]
) -> tuple[int, int]:
    """One part of the aggregates folded in a process of its own, with a container of its own,
    into scratch files; returns the position its reader read to and the events it folded."""
    container = build(settings)
    try:
        projections = chosen_projections(container, names)
        read_part = partial(container.public_envelopes, keep=part)
        folded = rebuild_part(projections, read_part, paths)
        return part.read_to, folded.events
    finally:
        container.close()
