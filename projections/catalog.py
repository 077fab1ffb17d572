"""The read models this product builds, by name."""

from __future__ import annotations

from domain.scoring import DEFAULT_RULES, ScoringRules
from projections.base import Projection
from projections.ledger import LedgerProjection


def all_projections(rules: ScoringRules = DEFAULT_RULES) -> list[Projection]:
    """The ledger, whose tables answer every report (DESIGN.md §2)."""
    return [LedgerProjection(rules)]
