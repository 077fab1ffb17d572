"""The argument types every `salesledger` command checks its options with."""

from __future__ import annotations

import argparse
from datetime import datetime
from uuid import UUID


def whole_number(minimum: int, maximum: int | None = None):
    """An argparse type: a whole number of at least `minimum` (and at most `maximum`)."""

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {text}")
        if maximum is not None and number > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, not {text}")
        return number

    return parse


positive = whole_number(1)
not_negative = whole_number(0)
port = whole_number(1, 65535)


def moment(text: str) -> datetime:
    """An argparse type: an ISO-8601 time with its UTC offset."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO-8601 time") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset, e.g. +00:00")
    return value


def an_id(text: str) -> UUID:
    """An argparse type: the id of a lead or an opportunity (a UUID)."""
    try:
        return UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id (a UUID)") from None
