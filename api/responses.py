"""JSON answers with money exact: a decimal too long for a float (domain.json_values) is written
as the JSON number it is, digit for digit, instead of rounded through a binary float."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.responses import JSONResponse as _JSONResponse

from domain.json_values import PLAIN

# An ExactNumber goes through json.dumps as a string between two NULs (which no stored text
# holds: input refuses control characters), and comes out as the bare number.
_MARKED = re.compile(r'"\\u0000(-?[0-9]+(?:\.[0-9]+)?)\\u0000"')


class JSONResponse(_JSONResponse):
    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        if "\\u0000" in text:
            text = _MARKED.sub(r"\1", text)
        return text.encode("utf-8")


def asdict(value: Any) -> Any:
    """A report's dataclass as a dict, its nested dataclasses, lists and dicts too: what
    `dataclasses.asdict` gives, without its deep copy of every leaf value (a forecast's 300
    months spent a sixth of its request there). Report dataclasses are plain (no __slots__)."""
    if type(value) in PLAIN:
        return value
    if hasattr(value, "__dataclass_fields__"):
        return {name: asdict(v) for name, v in vars(value).items()}
    if isinstance(value, list | tuple):
        return [asdict(v) for v in value]
    if isinstance(value, dict):
        return {k: asdict(v) for k, v in value.items()}
    return value
