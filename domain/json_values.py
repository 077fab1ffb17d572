"""Domain values as plain JSON: money as numbers, times as ISO-8601, ids as strings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

# A binary float holds any decimal of up to 15 significant digits exactly (its shortest repr
# reads back the same digits); a longer one — a report's sum of many large amounts — would
# lose cents in it, and is kept as its exact text.
EXACT_AS_FLOAT = 15


class ExactNumber(str):
    """A decimal number too long for a float, as its exact text between two NULs: json.dumps
    writes it as a string the API's JSON answers turn back into the bare number
    (api.responses); `digits` is the number alone (CSV)."""

    __slots__ = ()

    @classmethod
    def of(cls, value: Decimal) -> ExactNumber:
        return cls(f"\x00{format(value.normalize(), 'f')}\x00")

    @property
    def digits(self) -> str:
        return self.strip("\x00")


# Values that are JSON as they are, told by their exact type first: a report's hundreds of
# lines are mostly these, and the isinstance checks below (Mapping is an ABC) cost more.
PLAIN = frozenset({str, int, float, bool, type(None)})


# Money as JSON, by amount: a report repeats its amounts (a target's even monthly split, the
# zero of a rep who won nothing yet), and a lookup costs a tenth of making one. Equal decimals
# (1.10 and 1.1) are the same JSON number.
_MONEY: dict[Decimal, int | float] = {}
_MONEY_KEPT = 4096


def json_ready(value: Any) -> Any:
    """Plain JSON values: money as a JSON number, times as UTC ISO-8601, ids as strings, a
    dataclass (a report's line) as a dict of its fields."""
    kind = type(value)
    if kind in PLAIN:
        return value
    # the common containers by exact type (Mapping is an ABC, slow to test), their plain
    # values kept without a call: a report's hundreds of lines are mostly those
    if kind is dict:
        return {
            k if type(k) is str else str(k): v if type(v) in PLAIN else json_ready(v)
            for k, v in value.items()
        }
    if kind is list:
        return [v if type(v) in PLAIN else json_ready(v) for v in value]
    if kind is not Decimal and hasattr(kind, "__dataclass_fields__"):
        # a report's line, made a dict in the same pass
        return {k: v if type(v) in PLAIN else json_ready(v) for k, v in vars(value).items()}
    if kind is Decimal:
        known = _MONEY.get(value)
        if known is not None:
            return known
        text = str(value)  # a tenth of as_tuple's cost: most of a report's money is this short
        if len(text) <= EXACT_AS_FLOAT and "E" not in text and text[-1].isdigit():
            # at most 15 digits and no exponent (so exponent <= 0): money's shape, as below
            number = float(text)
            plain = int(number) if number.is_integer() else number
            if len(_MONEY) >= _MONEY_KEPT:
                _MONEY.clear()
            _MONEY[value] = plain
            return plain
    if isinstance(value, Decimal):
        _, digits, exponent = value.as_tuple()
        if isinstance(exponent, int) and exponent <= 0 and len(digits) <= EXACT_AS_FLOAT:
            # money's shape (cents, a few digits): under 10**15, so its float is exact when
            # it is whole, and the float's shortest repr gives its digits back otherwise
            number = float(value)
            return int(number) if number.is_integer() else number
        if value == value.to_integral_value():
            return int(value)
        if len(value.normalize().as_tuple().digits) > EXACT_AS_FLOAT:
            return ExactNumber.of(value)
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_ready(v) for v in value]
    return value
