"""Pipeline definitions per product line: stages, order, win probabilities."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.access import check_admin
from api.commands import CallDep
from api.dependencies import ContainerDep, UserDep
from api.responses import JSONResponse
from api.routers.queries import AsOf
from api.schemas import KEY_PATTERN, DefinePipeline
from domain.published import json_ready

router = APIRouter(prefix="/pipelines", tags=["pipelines"])
# The same characters as a product line in a body (Key): ASCII, as the document says.
ProductLine = Annotated[str, Path(min_length=1, max_length=64, pattern=KEY_PATTERN)]


@router.put("/{product_line}")
def define_pipeline(product_line: ProductLine, body: DefinePipeline, call: CallDep) -> JSONResponse:
    """Defines (or redefines, from now on) the product line's open stages; admins only."""
    check_admin(call.user, "define pipelines")
    stages = [s.model_dump(exclude_none=True) for s in body.stages]
    return call.run(lambda: call.container.app.define_pipeline(call.ctx, product_line, stages))


@router.get("/{product_line}")
def get_pipeline(
    product_line: ProductLine, container: ContainerDep, user: UserDep, as_of: AsOf = None
) -> JSONResponse:
    """The product line's stages (the default pipeline when none is defined), then won/lost."""
    model = container.app.stages_for(product_line, as_of=as_of)
    return JSONResponse(
        json_ready(
            {
                "product_line": product_line,
                "stages": model.as_dicts(),
                "closing_stages": ["won", "lost"],
            }
        )
    )
