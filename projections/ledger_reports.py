"""Every report over the ledger, by name (one module each in projections/reports/)."""

from __future__ import annotations

from projections.reports.accuracy import forecast_accuracy
from projections.reports.activity import rep_activity, week_bounds
from projections.reports.closed import closed_won, lost, sales_cycle, size_band
from projections.reports.conversion import lead_conversion
from projections.reports.forecast import forecast
from projections.reports.funnel import funnel, pool, pool_size
from projections.reports.monthly import monthly_review
from projections.reports.movement import pipeline_movement
from projections.reports.sql import moment, stages_in_force
from projections.reports.stage_conversion import stage_conversion
from projections.reports.targets import targets
from projections.reports.weekly import weekly
from projections.reports.win_rate import win_rate

__all__ = [
    "closed_won",
    "forecast",
    "forecast_accuracy",
    "funnel",
    "lead_conversion",
    "lost",
    "moment",
    "monthly_review",
    "pipeline_movement",
    "pool",
    "pool_size",
    "rep_activity",
    "sales_cycle",
    "size_band",
    "stage_conversion",
    "stages_in_force",
    "targets",
    "week_bounds",
    "weekly",
    "win_rate",
]
