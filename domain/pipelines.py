"""A product line's pipeline; redefining it is an event, so old reports keep old stages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import SalesAggregate
from domain.context import CommandContext
from domain.stages import StageModel


def pipeline_id(product_line: str) -> UUID:
    """One pipeline per product line: a deterministic id is the uniqueness index."""
    return uuid5(NAMESPACE_URL, f"salesledger:pipeline:{product_line}")


class Pipeline(SalesAggregate):
    """The stages, order and probabilities that opportunities of one product line move through."""

    class Defined(SalesAggregate.Created):
        product_line: str
        stages: list[dict[str, Any]]

        def apply(self, pipeline: Pipeline) -> None:
            pipeline.product_line = self.product_line
            pipeline.stage_model = StageModel.from_dicts(self.stages)

    class Redefined(SalesAggregate.Event):
        product_line: str
        stages: list[dict[str, Any]]

        def apply(self, pipeline: Pipeline) -> None:
            pipeline.stage_model = StageModel.from_dicts(self.stages)

    # State set by the events' apply(); declared for readers and type checkers only, since
    # class annotations would become constructor fields of the aggregate.
    if TYPE_CHECKING:
        product_line: str
        stage_model: StageModel

    @classmethod
    def define(cls, product_line: str, stages: StageModel, ctx: CommandContext) -> Pipeline:
        return cls._open(
            cls.Defined,
            ctx,
            id=pipeline_id(product_line),
            product_line=product_line,
            stages=stages.as_dicts(),
        )

    def redefine(self, stages: StageModel, ctx: CommandContext) -> None:
        self._record(self.Redefined, ctx, product_line=self.product_line, stages=stages.as_dicts())
