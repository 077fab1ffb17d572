"""The read models this product builds, by name."""

from __future__ import annotations

from domain.scoring import DEFAULT_RULES, ScoringRules
from projections.base import Projection
from projections.ledger import LedgerProjection
from projections.stage_conversion import StageConversionProjection


def all_projections(rules: ScoringRules = DEFAULT_RULES) -> list[Projection]:
    """Stage conversion (documents, until it moves onto the ledger) and the ledger, whose
    tables answer the funnel, the pool, rep activity and the management reports."""
    return [StageConversionProjection(), LedgerProjection(rules)]
