"""The audit trail: the event table refuses changes, and two hash chains show any that got in.

- Each event carries `chain`, linked to the previous event of its aggregate (domain/chain.py).
- The log chain runs over every notification in order, position included, and is sealed in
  checkpoints (`audit_log_seals`) as the relay or the in-process follower passes them, so
  removing an aggregate's last events, or whole aggregates, shows too.

`verify` walks the whole log, recomputes both chains and reports the first breach.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Notification

from domain.application import SalesPipeline
from domain.chain import GENESIS, chain_of
from store.database import Database
from store.log_reader import LogReader

SEALS = """CREATE TABLE IF NOT EXISTS audit_log_seals (
    position BIGINT PRIMARY KEY,
    chain TEXT NOT NULL)"""


@dataclass(frozen=True)
class Breach:
    """The first place where the stored log is not what was written."""

    position: int
    aggregate_id: str
    version: int | None
    problem: str

    def describe(self) -> str:
        where = f"position {self.position}"
        if self.version is not None:
            where += f" (aggregate {self.aggregate_id} version {self.version})"
        return f"{where}: {self.problem}"


def log_link(previous: str, position: int, event_chain: str) -> str:
    return hashlib.sha256(f"{previous}|{position}|{event_chain}".encode()).hexdigest()


class AuditTrail:
    """Seals the log chain, and verifies the stored log against both chains."""

    def __init__(self, app: SalesPipeline, db: Database) -> None:
        self.app = app
        self.log = LogReader(app)
        self.db = db
        with db.transaction():
            db.execute(SEALS)

    # --- sealing ---

    def last_seal(self) -> tuple[int, str]:
        rows = self.db.read(
            "SELECT position, chain FROM audit_log_seals ORDER BY position DESC LIMIT 1"
        )
        return (int(rows[0][0]), rows[0][1]) if rows else (0, GENESIS)

    def seal(self, up_to: int | None = None) -> int:
        """Extends the log chain to `up_to` (default: the end) and records a seal there.
        Returns the position sealed (unchanged if there was nothing new)."""
        position, chain = self.last_seal()
        sealed = position
        for notification in self.log.notifications(after=position, up_to=up_to):
            chain = log_link(chain, notification.id, self._stored_chain(notification))
            sealed = notification.id
        if sealed != position:
            self._record_seal(sealed, chain)
        return sealed

    def seal_read(self, after: int, links: Sequence[tuple[int, str]]) -> int:
        """Seals the log chain over notifications a consumer has just read — every one after
        position `after`, as (position, event chain) — without reading them again. When the
        last seal is not at `after` (another process sealed meanwhile), seals as `seal` does."""
        position, chain = self.last_seal()
        if position != after or not links:
            return self.seal(up_to=links[-1][0] if links else after)
        for notification_id, event_chain in links:
            chain = log_link(chain, notification_id, event_chain)
        self._record_seal(links[-1][0], chain)
        return links[-1][0]

    def _record_seal(self, position: int, chain: str) -> None:
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO audit_log_seals (position, chain) VALUES (?, ?) "
                "ON CONFLICT (position) DO NOTHING",  # another process sealed here first
                (position, chain),
            )

    # --- verifying ---

    def verify(self, on_position: Callable[[int], None] | None = None) -> Breach | None:
        """Recomputes every event's chain and the log chain; the first breach, or None."""
        rows = self.db.read("SELECT position, chain FROM audit_log_seals ORDER BY position")
        seals = [(int(p), c) for p, c in rows]
        next_seal = 0
        heads: dict[Any, tuple[int, str]] = {}
        log_chain = GENESIS
        last_position = 0
        for notification in self.log.notifications(after=0):
            if next_seal < len(seals) and seals[next_seal][0] < notification.id:
                return Breach(seals[next_seal][0], "", None, "the sealed event was removed")
            breach = self._check_event(notification, heads)
            if breach is not None:
                return breach
            log_chain = log_link(log_chain, notification.id, self._stored_chain(notification))
            if next_seal < len(seals) and seals[next_seal][0] == notification.id:
                if seals[next_seal][1] != log_chain:
                    return Breach(
                        notification.id, "", None,
                        "the log up to here differs from what was sealed (an event before it "
                        "was removed, inserted or altered)",
                    )  # fmt: skip
                next_seal += 1
            last_position = notification.id
            if on_position is not None:
                on_position(notification.id)
        if next_seal < len(seals):
            return Breach(
                seals[next_seal][0], "", None,
                f"the log ends at position {last_position}, before this sealed position: "
                "events were removed from its end",
            )  # fmt: skip
        return None

    def _check_event(
        self, notification: Notification, heads: dict[Any, tuple[int, str]]
    ) -> Breach | None:
        aggregate_id = notification.originator_id
        version, previous = heads.get(aggregate_id, (0, GENESIS))
        where = (notification.id, str(aggregate_id), notification.originator_version)
        if notification.originator_version != version + 1:
            return Breach(
                *where,
                f"expected version {version + 1} of the aggregate here: an event was removed "
                "or the order was changed",
            )
        try:
            event = self.app.mapper.to_domain_event(notification)
        except Exception as error:  # noqa: BLE001 - a row that no longer decodes is a breach
            return Breach(*where, f"the stored event no longer decodes ({error})")
        stored = getattr(event, "chain", None)
        if stored != chain_of(event, notification.topic, previous):
            return Breach(*where, "the stored event was altered: its hash does not match")
        heads[aggregate_id] = (notification.originator_version, stored)
        return None

    def _stored_chain(self, notification: Notification) -> str:
        if self.app.mapper.cipher is None and self.app.mapper.compressor is None:
            return json.loads(notification.state.decode()).get("chain", "")
        return getattr(self.app.mapper.to_domain_event(notification), "chain", "")


def protect_event_table(app: SalesPipeline, db: Database) -> None:
    """Makes the store refuse UPDATE, DELETE (and TRUNCATE) of stored events, by triggers."""
    table = app.recorder.events_table_name  # type: ignore[attr-defined]
    with db.transaction():
        if not db.is_postgres:
            for operation in ("UPDATE", "DELETE"):
                db.execute(
                    f"CREATE TRIGGER IF NOT EXISTS events_refuse_{operation.lower()} "
                    f"BEFORE {operation} ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'stored events are immutable'); END"
                )
            return
        installed = db.query(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = CAST(? AS regclass) "
            "AND tgname IN ('events_immutable', 'events_not_truncated')",
            (table,),
        )[0][0]
        if installed == 2:
            return
        db.execute(
            "CREATE OR REPLACE FUNCTION salesledger_refuse_event_change() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION USING MESSAGE = "
            "'stored events are immutable: ' || TG_OP || ' refused'; END $$"
        )
        db.execute(f"DROP TRIGGER IF EXISTS events_immutable ON {table}")
        db.execute(
            f"CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION salesledger_refuse_event_change()"
        )
        db.execute(f"DROP TRIGGER IF EXISTS events_not_truncated ON {table}")
        db.execute(
            f"CREATE TRIGGER events_not_truncated BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION salesledger_refuse_event_change()"
        )
