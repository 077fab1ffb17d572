"""The composition root: reads settings, wires the store, read models, users and the bus."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import psycopg2

from api.idempotency import IdempotencyStore
from api.settings import Settings
from api.users import UserDirectory
from consumers.audit import AuditTrail, protect_event_table
from consumers.in_process import StoreFollower
from consumers.kafka_io import all_topics, ensure_topics, make_consumer, make_producer
from consumers.positions import PositionStore
from consumers.projector import KafkaProjector
from consumers.read_ahead import ReadAhead
from consumers.relay import RELAY, LogMessages, Outgoing, Relay
from consumers.status import kafka_lag
from domain.application import SalesPipeline
from domain.context import Clock, SystemClock
from domain.published import mask_personal_data
from projections.base import Projection
from projections.catalog import all_projections
from projections.database import Database
from projections.replay import fold_until
from projections.sql_store import SqlDocStore
from projections.state import DocState

log = logging.getLogger("salesledger")


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
    pii_key: bytes
    positions: PositionStore
    audit: AuditTrail
    follower: StoreFollower | None = None

    def publish(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """The envelope as it leaves the store: contact details masked."""
        return mask_personal_data(envelope, self.pii_key)

    def after_command(self) -> None:
        """In-process delivery: a report reflects a command as soon as the command returns.
        The command itself is saved already, so a failure here is logged, not raised: the
        service's background follower retries, and /health shows the lag meanwhile."""
        if self.follower is not None:
            try:
                self.follower.catch_up()
            except Exception:  # noqa: BLE001
                log.exception("in-process delivery to the read models failed; will retry")

    def report_states(self, as_of: datetime | None) -> dict[str, DocState]:
        """The read models now, or as they stood at `as_of` (folded afresh from the log)."""
        if as_of is None:
            self.after_command()
            return {p.name: self.docs.reader(p.name) for p in self.projections}
        return dict(fold_until(self.projections, self.public_envelopes(), as_of))

    def public_envelopes(self, after: int = 0) -> Iterator[dict[str, Any]]:
        """The published events after a position, in log order, as consumers see them."""
        return (self.publish(e) for e in self.app.all_envelopes(after))

    def chosen_projections(self, names: list[str] | None) -> list[Projection]:
        """The named read models (all when none are named); an unknown name is an error."""
        known = {p.name: p for p in self.projections}
        unknown = sorted(set(names or []) - set(known))
        if unknown:
            raise ValueError(f"no read model named {unknown[0]}; known: {', '.join(known)}")
        return [known[n] for n in names] if names else list(self.projections)

    def lag_of(self, projections: list[Projection]) -> str:
        """How far the read models are behind the store ('' when caught up)."""
        if self.follower is not None:
            self.follower.catch_up()
            return ""
        lag = kafka_lag(self)
        behind = {p.name: sum(lag[p.name].values()) for p in projections}
        relay_lag = self.app.last_position() - self.positions.get(RELAY)
        parts = [f"relay {relay_lag}"] if relay_lag else []
        parts += [f"{name} {n}" for name, n in behind.items() if n]
        return ", ".join(parts)

    def relay(self, *, read_ahead: bool = False) -> Relay:
        """The store → Kafka relay, with its topics created; with `read_ahead`, a child
        process reads and encodes the next batch while this one sends the last."""
        bootstrap = self._kafka()
        ensure_topics(bootstrap, self.settings.topic_prefix, self.settings.kafka_partitions)
        messages = LogMessages(self.app, self.publish, self.settings.topic_prefix)
        return Relay(
            self.app,
            self.positions,
            partial(make_producer, bootstrap),
            self.publish,
            self.settings.topic_prefix,
            read=self._read_ahead(messages) if read_ahead else messages,
            gap_timeout=self.settings.relay_gap_timeout,
            linger=self.settings.relay_linger,
            after_batch=self._seal_relayed,
        )

    def _read_ahead(self, local: LogMessages) -> ReadAhead:
        read_ahead = ReadAhead(partial(_log_messages, self.settings), local)
        read_ahead.start()
        return read_ahead

    def _seal_relayed(self, after: int, entries: list[Outgoing]) -> None:
        self.audit.seal_read(after, [(e.position, e.chain) for e in entries])

    def projector(self, names: list[str] | None = None) -> KafkaProjector:
        """The Kafka projector of the named projections (all when none are named): one
        consumer group, named after them, so two processes given the same names share work."""
        bootstrap = self._kafka()
        ensure_topics(bootstrap, self.settings.topic_prefix, self.settings.kafka_partitions)
        chosen = self.chosen_projections(names)
        group = f"{self.settings.topic_prefix}.projector." + "+".join(
            sorted(p.name for p in chosen)
        )
        return KafkaProjector(
            chosen,
            self.docs,
            make_consumer(bootstrap, group),
            all_topics(self.settings.topic_prefix),
        )

    def _kafka(self) -> str:
        if self.settings.kafka_bootstrap is None:
            raise ValueError("SALESLEDGER_KAFKA_BOOTSTRAP is not set: there is no Kafka to use")
        return self.settings.kafka_bootstrap

    def close(self) -> None:
        self.app.close()
        if self.audit.db is not self.db:
            self.audit.db.close()
        self.db.close()


def build(settings: Settings | None = None, clock: Clock | None = None) -> Container:
    settings = settings or Settings()
    clock = clock or SystemClock()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with _schema_lock(settings):
        app = SalesPipeline(
            env=settings.event_store_env(),
            claim_limit=settings.claim_limit,
            currency=settings.currency,
        )
    if settings.database_url is None:
        db = Database.sqlite(str(settings.data_dir / "readmodels.sqlite"))
        # The store's own file holds its audit seals, beside the events they seal.
        store_db = Database.sqlite(settings.event_store_env()["SQLITE_DBNAME"])
    else:
        db = Database.postgres(partial(psycopg2.connect, settings.database_url))
        store_db = db
    with _schema_lock(settings):
        protect_event_table(app, store_db)
        audit = AuditTrail(app, store_db)
        docs = SqlDocStore(db)
        users = UserDirectory(db)
        idempotency = IdempotencyStore(db)
        positions = PositionStore(db)
    projections = all_projections(app.rules)
    container = Container(
        settings=settings,
        clock=clock,
        app=app,
        db=db,
        docs=docs,
        users=users,
        idempotency=idempotency,
        projections=projections,
        pii_key=_pii_key(settings),
        positions=positions,
        audit=audit,
    )
    if settings.kafka_bootstrap is None:
        # No Kafka: the store's log is delivered to the projections in this process.
        container.follower = StoreFollower(
            app, docs, projections, container.publish, after_batch=audit.seal
        )
    return container


def _log_messages(settings: Settings) -> LogMessages:
    """The relay's reader, built in the read-ahead child process from the relay's settings."""
    container = build(settings)
    return LogMessages(container.app, container.publish, settings.topic_prefix)


SCHEMA_LOCK = 0x5A1E5_1ED6E  # any constant: one PostgreSQL advisory lock for schema set-up


@contextmanager
def _schema_lock(settings: Settings) -> Iterator[None]:
    """Processes starting together (api, relay, projector) create tables, functions and
    triggers one at a time: PostgreSQL refuses concurrent CREATE OR REPLACE of one function."""
    if settings.database_url is None:
        yield
        return
    connection = psycopg2.connect(settings.database_url)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        yield
    finally:
        connection.close()  # ends the session, and with it the lock


def _pii_key(settings: Settings) -> bytes:
    if settings.pii_key:
        return settings.pii_key.encode()
    path: Path = settings.data_dir / "pii.key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()
