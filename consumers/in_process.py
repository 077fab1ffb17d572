"""Embedded mode's bus: new events go from the store straight to the projections, in-process.

The projections, their fold and their storage are the same ones the Kafka projectors run;
only the transport differs. Each projection tracks the store position it reached, written
in the same transaction as its documents.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from domain.application import SalesPipeline
from projections.base import Projection, fold_all
from projections.sql_store import STORE_SOURCE, SqlDocStore
from store.log_reader import LogReader

Envelope = dict[str, Any]
log = logging.getLogger("salesledger")


class StoreFollower:
    """Delivers events from the store's notification log to projections; run_once is one batch."""

    def __init__(
        self,
        app: SalesPipeline,
        store: SqlDocStore,
        projections: list[Projection],
        publish: Callable[[Envelope], Envelope],
        batch_size: int = 500,
        after_batch: Callable[[int], object] | None = None,
    ) -> None:
        self.app = app
        self.log = LogReader(app)
        self.store = store
        self.projections = projections
        self.publish = publish
        self.batch_size = batch_size
        self.after_batch = after_batch
        self._lock = threading.Lock()
        self._delivered = -1  # the log position every projection had reached, last we looked

    def run_once(self, wait: bool = True) -> int:
        """Applies the next batch to every projection that is behind; returns how many log
        positions it moved past (0 when every projection is at the end of the log, or when
        another thread is delivering and `wait` is False)."""
        if not self._lock.acquire(blocking=wait):
            return 0
        try:
            return self._run_once()
        finally:
            self._lock.release()

    def _run_once(self) -> int:
        if self.app.last_position() <= self._delivered:
            return 0  # nothing stored since this process delivered everything (one query)
        positions = {p.name: self.store.position(p.name, STORE_SOURCE) for p in self.projections}
        start = min(positions.values(), default=0)
        batch = self.log.envelopes(start, self.batch_size)
        if batch.last_position == start:
            self._delivered = start
            return 0
        public = [self.publish(e) for e in batch.envelopes]
        for projection in self.projections:
            if positions[projection.name] >= batch.last_position:
                continue
            with self.store.batch(projection.name) as state:
                done = positions[projection.name]
                fold_all(projection, state, (e for e in public if e["position"] > done))
                state.advance({STORE_SOURCE: batch.last_position})
        if self.after_batch is not None:
            self.after_batch(batch.last_position)
        return batch.last_position - start

    def deliver_now(self, wait: bool = True) -> None:
        """Delivers what a command just stored. The command is saved already, so a failure
        here is logged, not raised: the service's background follower retries, and /health
        shows the lag meanwhile."""
        try:
            self.catch_up(wait)
        except Exception:  # noqa: BLE001
            log.exception("in-process delivery to the read models failed; will retry")

    def catch_up(self, wait: bool = True) -> None:
        """Runs batches until every projection has reached the end of the log."""
        while self.run_once(wait):
            pass

    def lag(self) -> dict[str, int]:
        last = self.app.last_position()
        return {p.name: last - self.store.position(p.name, STORE_SOURCE) for p in self.projections}
