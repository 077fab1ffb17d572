"""An export of the embedded SQLite store restores into PostgreSQL with equal read models."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from api.event_store import COPY_FROM_EVENTS
from consumers.backup import export_lines, import_lines
from domain.context import CommandContext
from projections.replay import fold_until
from tests.conftest import capture


def test_sqlite_export_restores_into_postgres(container, production, clock):
    """Enough events that the import goes through COPY rather than the insert function."""
    app = container.app
    for n in range(30):
        ctx = CommandContext(f"rep{n}", clock.advance(hours=1))
        lead = capture(app, ctx, company=f"Company {n}")
        app.claim_lead(ctx, lead)
        opp = app.convert_lead(
            ctx, lead, name="d", amount=Decimal("1234.56"), expected_close=date(2027, 1, 1)
        ).opportunity_id
        app.move_opportunity(ctx, opp, stage="proposal")
    imported = import_lines(production.app, export_lines(app))
    assert imported.events == app.last_position() > COPY_FROM_EVENTS
    assert [e["position"] for e in production.app.all_envelopes()] == [
        e["position"] for e in app.all_envelopes()
    ]
    production.audit.seal()
    assert production.audit.verify() is None
    before = fold_until(container.projections, container.public_envelopes())
    after = fold_until(production.projections, production.public_envelopes())
    for projection in container.projections:
        assert after[projection.name].docs == before[projection.name].docs
