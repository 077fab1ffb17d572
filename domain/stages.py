"""The stage model: an ordered list of open stages with win probabilities, then won or lost."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.errors import InvalidValue

WON = "won"
LOST = "lost"
CLOSED_STAGES = (WON, LOST)
DEFAULT_PRODUCT_LINE = "general"


@dataclass(frozen=True)
class Stage:
    """One open stage: its key, display name and win probability (a fraction from 0 to 1)."""

    key: str
    name: str
    probability: Decimal
    expected_days: int | None = None  # longer in the stage than this, a deal is stale

    def as_dict(self) -> dict[str, Any]:
        plain = {"key": self.key, "name": self.name, "probability": self.probability}
        if self.expected_days is not None:
            plain["expected_days"] = self.expected_days
        return plain


@dataclass(frozen=True)
class StageModel:
    """The open stages of a pipeline, in order."""

    stages: tuple[Stage, ...]

    @classmethod
    def from_dicts(cls, stages: Iterable[Mapping[str, Any]]) -> StageModel:
        """Validates and builds a stage model from plain stage records."""
        built = []
        for i, raw in enumerate(stages):
            key = str(raw.get("key", "")).strip()
            name = str(raw.get("name") or key).strip()
            try:
                probability = Decimal(str(raw.get("probability")))
            except ArithmeticError:
                raise InvalidValue(
                    "probability must be a number", field=f"stages.{i}.probability"
                ) from None
            if not key:
                raise InvalidValue("stage key must not be empty", field=f"stages.{i}.key")
            if key in CLOSED_STAGES:
                raise InvalidValue(
                    f"'{key}' is a closing stage and cannot be an open stage",
                    field=f"stages.{i}.key",
                )
            if not Decimal(0) <= probability <= Decimal(1):
                raise InvalidValue(
                    "probability must be between 0 and 1", field=f"stages.{i}.probability"
                )
            built.append(Stage(key, name, probability, _expected_days(raw, i)))
        if not built:
            raise InvalidValue("a pipeline needs at least one open stage", field="stages")
        keys = [s.key for s in built]
        if len(set(keys)) != len(keys):
            raise InvalidValue("stage keys must be unique", field="stages")
        return cls(tuple(built))

    @property
    def first(self) -> Stage:
        return self.stages[0]

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.stages]

    def has(self, key: str) -> bool:
        return key in self.keys

    def index(self, key: str) -> int:
        return self.keys.index(key)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [s.as_dict() for s in self.stages]


def _expected_days(raw: Mapping[str, Any], i: int) -> int | None:
    days = raw.get("expected_days")
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise InvalidValue("expected_days is a whole number from 1 to 365",
                           field=f"stages.{i}.expected_days")  # fmt: skip
    return days


def is_late(stages: StageModel, stage: str) -> bool:
    """Whether a deal lost at `stage` was lost at proposal or later (the manager steps in): the
    pipeline's `proposal` stage or after it, or its second half where it has none."""
    if not stages.has(stage):
        return False
    late_from = stages.index("proposal") if stages.has("proposal") else len(stages.keys) // 2
    return stages.index(stage) >= late_from


DEFAULT_STAGES = StageModel.from_dicts(
    [
        # expected days: the practice's upper bounds (screening 1-2 working days, needs and
        # proposal 3-5, negotiation 5-10)
        {"key": "contact", "name": "Initial contact", "probability": "0.10", "expected_days": 2},
        {"key": "needs", "name": "Needs confirmed", "probability": "0.25", "expected_days": 5},
        {"key": "proposal", "name": "Proposal / quote", "probability": "0.50", "expected_days": 5},
        {"key": "negotiation", "name": "Negotiation", "probability": "0.75", "expected_days": 10},
    ]
)
