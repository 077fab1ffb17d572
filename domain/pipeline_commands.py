"""The pipeline commands: a product line's stages, and the year's targets, set as events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from domain.context import CommandContext
from domain.errors import NotAllowedNow, NotFound
from domain.pipelines import Pipeline, pipeline_id
from domain.results import CommandResult
from domain.service import SalesService, command
from domain.stages import DEFAULT_STAGES, StageModel
from domain.targets import SalesTarget, target_id


class PipelineCommands(SalesService):
    """Defining a product line's pipeline, and the stages in force for it at any moment."""

    @command
    def define_pipeline(
        self, ctx: CommandContext, product_line: str, stages: list[dict[str, Any]]
    ) -> CommandResult:
        model = StageModel.from_dicts(stages)
        try:
            pipeline: Pipeline = self.repository.get(pipeline_id(product_line))
        except AggregateNotFoundError:
            pipeline = Pipeline.define(product_line, model, ctx)
        else:
            if pipeline.stage_model == model:
                raise NotAllowedNow("the pipeline already has these stages", field="stages")
            pipeline.redefine(model, ctx)
        return self._save(pipeline)

    @command
    def set_target(
        self,
        ctx: CommandContext,
        year: int,
        *,
        company: Decimal,
        by_month: dict[str, Decimal] | None = None,
        by_team: dict[str, Decimal] | None = None,
        by_rep: dict[str, Decimal] | None = None,
    ) -> CommandResult:
        """Sets the year's target (again: the new one holds from now on)."""
        amounts = {"company": company, "by_month": by_month, "by_team": by_team, "by_rep": by_rep}
        try:
            target: SalesTarget = self.repository.get(target_id(year))
        except AggregateNotFoundError:
            target = SalesTarget.set(ctx, year, **amounts)
        else:
            target.change(ctx, **amounts)
        return self._save(target)

    def get_target(self, year: int) -> SalesTarget:
        return self._current(SalesTarget, target_id(year))

    def stages_for(self, product_line: str, as_of: datetime | None = None) -> StageModel:
        """The product line's stages (as they were at `as_of`), or the default pipeline."""
        try:
            pipeline: Pipeline = self._get_at(Pipeline, pipeline_id(product_line), as_of=as_of)
        except NotFound:
            return DEFAULT_STAGES
        return pipeline.stage_model
