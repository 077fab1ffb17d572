"""An export of the embedded SQLite store restores into PostgreSQL with equal read models."""

from __future__ import annotations

from decimal import Decimal

from projections.replay import fold_until
from store.backup import export_lines, import_lines
from store.log_reader import all_envelopes
from store.recorders import COPY_FROM_EVENTS
from tests.builders import play_leads


def test_sqlite_export_restores_into_postgres(container, production, clock):
    """Enough events that the import goes through COPY rather than the insert function."""
    app = container.app
    play_leads(app, clock, 30, amount=lambda n: Decimal("1234.56"))
    imported = import_lines(production.app, export_lines(app))
    assert imported.events == app.last_position() > COPY_FROM_EVENTS
    assert [e["position"] for e in all_envelopes(production.app)] == [
        e["position"] for e in all_envelopes(app)
    ]
    production.audit.seal()
    assert production.audit.verify() is None
    before = fold_until(container.projections, container.public_envelopes())
    after = fold_until(production.projections, production.public_envelopes())
    for projection in container.projections:
        assert after[projection.name].docs == before[projection.name].docs
