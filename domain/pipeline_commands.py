"""The pipeline commands: a product line's stages, defined and redefined as events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from domain.context import CommandContext
from domain.errors import NotAllowedNow, NotFound
from domain.pipelines import Pipeline, pipeline_id
from domain.results import CommandResult
from domain.service import SalesService, command
from domain.stages import DEFAULT_STAGES, StageModel


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

    def stages_for(self, product_line: str, as_of: datetime | None = None) -> StageModel:
        """The product line's stages (as they were at `as_of`), or the default pipeline."""
        try:
            pipeline: Pipeline = self._get_at(Pipeline, pipeline_id(product_line), as_of=as_of)
        except NotFound:
            return DEFAULT_STAGES
        return pipeline.stage_model
