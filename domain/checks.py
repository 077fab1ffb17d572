"""Small input checks shared by the aggregates."""

from __future__ import annotations

from decimal import Decimal

from domain.errors import InvalidValue


def require_text(value: str | None, field: str) -> str:
    """The value stripped, or InvalidValue naming the field when it is empty."""
    if not value or not value.strip():
        raise InvalidValue(f"{field} must not be empty", field=field)
    return value.strip()


def require_non_negative(value: Decimal | None, field: str) -> None:
    if value is not None and value < 0:
        raise InvalidValue(f"{field} must not be negative", field=field)
