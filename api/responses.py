"""JSON answers with money exact: a decimal too long for a float (domain.json_values) is written
as the JSON number it is, digit for digit, instead of rounded through a binary float."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from fastapi.responses import JSONResponse as _JSONResponse

from domain.json_values import json_ready

# An ExactNumber goes through the JSON encoder as a string between two NULs (which no stored text
# holds: input refuses control characters), and comes out as the bare number.
_MARKED = re.compile(r'"\\u0000(-?[0-9]+(?:\.[0-9]+)?)\\u0000"')


class JSONResponse(_JSONResponse):
    def render(self, content: Any) -> bytes:
        """`content` as JSON: plain values, or a report's as it is (dataclasses, money), which
        orjson writes itself, handing json_ready what it does not know (a decimal); the same
        bytes as json_ready's values written, in a third of the time (a report of hundreds
        of lines: 0.3 ms instead of 0.85)."""
        try:
            # a tenth of json.dumps's time, and the same bytes for what the answers hold; it
            # refuses an integer past 64 bits and a key that is not text
            body = orjson.dumps(content, default=json_ready)
        except TypeError:
            plain = json_ready(content)
            text = json.dumps(plain, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            body = text.encode("utf-8")
        if b"\\u0000" in body:
            body = _MARKED.sub(r"\1", body.decode("utf-8")).encode("utf-8")
        return body


def asdict(value: Any) -> dict[str, Any]:
    """A report's dataclass as a dict of its fields, to spread into an answer's body or a CSV
    row: `json_ready`, which every answer goes through, turns what the fields hold (lines,
    money, nested dataclasses) into JSON in its one pass. Report dataclasses are plain (no
    __slots__)."""
    return dict(vars(value))
