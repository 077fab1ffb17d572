"""The event store: the sales pipeline application persisted with SalesLedger's recorders."""

from __future__ import annotations

from typing import Any

from domain.application import SalesPipeline
from store.transcodings import TRANSCODINGS

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def open_pipeline(env: dict[str, str] | None = None, **options: Any) -> SalesPipeline:
    """The application over the store `env` names (eventsourcing's settings; in memory when
    none), writing events with the store's encodings."""
    return SalesPipeline(env=env or dict(IN_MEMORY), transcodings=TRANSCODINGS, **options)
