"""The read models this product builds, by name."""

from __future__ import annotations

from domain.scoring import DEFAULT_RULES, ScoringRules
from projections.base import Projection
from projections.funnel import FunnelProjection
from projections.ledger import LedgerProjection
from projections.pool import PoolProjection
from projections.rep_activity import RepActivityProjection
from projections.stage_conversion import StageConversionProjection


def all_projections(rules: ScoringRules = DEFAULT_RULES) -> list[Projection]:
    return [
        FunnelProjection(),
        StageConversionProjection(),
        RepActivityProjection(rules),
        PoolProjection(),
        LedgerProjection(rules),
    ]
