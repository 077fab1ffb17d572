"""What a command returns to its caller: the aggregate, its new version, the store position."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class CommandResult:
    """What a caller needs after a command: the aggregate, its new version, the store position."""

    id: UUID
    version: int
    position: int


@dataclass(frozen=True)
class ScoreResult(CommandResult):
    score: int = 0
    tier: str = ""


@dataclass(frozen=True)
class ConversionResult(CommandResult):
    opportunity_id: UUID = UUID(int=0)
    opportunity_version: int = 0


@dataclass(frozen=True)
class HistoryPage:
    """Some of an aggregate's events, and how many it has in all."""

    envelopes: list[dict[str, Any]]
    total: int
