"""The composition root: reads settings, wires the store, read models, users and the bus."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import psycopg2

from api.idempotency import IdempotencyStore
from api.settings import Settings
from api.users import UserDirectory
from consumers.in_process import StoreFollower
from domain.application import SalesPipeline
from domain.context import Clock, SystemClock
from domain.published import mask_personal_data
from projections.base import Projection
from projections.catalog import all_projections
from projections.database import Database
from projections.replay import fold_until
from projections.sql_store import SqlDocStore
from projections.state import DocState


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
    follower: StoreFollower | None = None
    _extra: dict[str, Any] = field(default_factory=dict)

    def publish(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """The envelope as it leaves the store: contact details masked."""
        return mask_personal_data(envelope, self.pii_key)

    def after_command(self) -> None:
        """In-process delivery: a report reflects a command as soon as the command returns."""
        if self.follower is not None:
            self.follower.catch_up()

    def report_states(self, as_of: datetime | None) -> dict[str, DocState]:
        """The read models now, or as they stood at `as_of` (folded afresh from the log)."""
        if as_of is None:
            self.after_command()
            return {p.name: self.docs.reader(p.name) for p in self.projections}
        envelopes = (self.publish(e) for e in self.app.all_envelopes())
        return dict(fold_until(self.projections, envelopes, as_of))

    def close(self) -> None:
        self.app.close()
        self.db.close()


def build(settings: Settings | None = None, clock: Clock | None = None) -> Container:
    settings = settings or Settings()
    clock = clock or SystemClock()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = SalesPipeline(
        env=settings.event_store_env(),
        claim_limit=settings.claim_limit,
        currency=settings.currency,
    )
    if settings.database_url is None:
        db = Database.sqlite(str(settings.data_dir / "readmodels.sqlite"))
    else:
        db = Database.postgres(partial(psycopg2.connect, settings.database_url))
    docs = SqlDocStore(db)
    projections = all_projections(app.rules)
    container = Container(
        settings=settings,
        clock=clock,
        app=app,
        db=db,
        docs=docs,
        users=UserDirectory(db),
        idempotency=IdempotencyStore(db),
        projections=projections,
        pii_key=_pii_key(settings),
    )
    if settings.kafka_bootstrap is None:
        # No Kafka: the store's log is delivered to the projections in this process.
        container.follower = StoreFollower(app, docs, projections, container.publish)
    return container


def _pii_key(settings: Settings) -> bytes:
    if settings.pii_key:
        return settings.pii_key.encode()
    path: Path = settings.data_dir / "pii.key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()
