"""Logs on stderr. The consumers' lines are JSON objects of their own (`log_event`), so lag
and positions can be grepped and graphed; with SALESLEDGER_LOG_FORMAT=json every line is one
(the API's, uvicorn's and the scheduler's too), a consumer's fields at the top level."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any


def log_event(
    logger: logging.Logger, event: str, *, level: int = logging.INFO, **fields: Any
) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, json.dumps({"event": event, **fields}, default=str))


class JsonLines(logging.Formatter):
    """One JSON object a record: when, how severe, whose, and the message, or the fields of a
    message that is a JSON object already (a consumer's event)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        message = record.getMessage()
        fields = _json_object(message)
        line.update(fields if fields is not None else {"message": message})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def _json_object(message: str) -> dict[str, Any] | None:
    if not message.startswith("{"):
        return None
    try:
        parsed = json.loads(message)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def configure(level: int = logging.INFO, log_format: str = "text") -> None:
    """Every logger's lines on stderr: as they are ("text"), or as JSON objects ("json")."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)  # the metrics may ask the consumers for more (api.consumer_metrics)
    handler.setFormatter(JsonLines() if log_format == "json" else logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("kafka").setLevel(logging.WARNING)
