"""Structured logs: one JSON object a line, so lag and positions can be grepped and graphed."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any


def log_event(logger: logging.Logger, event: str, **fields: Any) -> None:
    logger.info(json.dumps({"event": event, **fields}, default=str))


def configure(level: int = logging.INFO) -> None:
    """Plain messages on stderr: each consumer line is already a JSON object."""
    logging.basicConfig(stream=sys.stderr, level=level, format="%(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)
