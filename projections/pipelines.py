"""Where a stage ranks in its pipeline: won above every open stage, lost and unknown below."""

from __future__ import annotations

from domain.stages import LOST, WON

WON_RANK = 10_000
LOST_RANK = -1


def rank_among(keys: list[str], stage: str | None) -> int:
    """Position of a stage among its pipeline's open stage keys: won above all, lost and
    unknown stages below."""
    if stage == WON:
        return WON_RANK
    return keys.index(stage) if stage in keys and stage != LOST else LOST_RANK
