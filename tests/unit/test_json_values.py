"""Money as JSON: the same amount is the same JSON number, however it is written and however
often it comes (the conversion is remembered by amount), and long sums stay exact — also when
a report is answered as it is (dataclasses and decimals handed to orjson)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from api.responses import JSONResponse
from domain import json_values
from domain.json_values import ExactNumber, json_ready


def test_equal_amounts_are_the_same_json_number_whichever_is_converted_first():
    assert json_ready(Decimal("1.10")) == 1.1
    assert json_ready(Decimal("1.1")) == 1.1
    assert json_ready(Decimal("250000")) == 250000
    assert type(json_ready(Decimal("250000.00"))) is int
    assert json_ready(Decimal("-0.00")) == 0


def test_an_amount_past_fifteen_digits_stays_exact_after_a_short_one():
    json_ready(Decimal("1234.56"))
    long_sum = json_ready(Decimal("123456789012345678.91"))
    assert isinstance(long_sum, ExactNumber)
    assert long_sum.digits == "123456789012345678.91"


def test_remembered_amounts_are_bounded_and_still_converted_right_once_forgotten():
    amounts = [Decimal(cents) / 100 for cents in range(json_values._MONEY_KEPT + 500)]
    assert [json_ready(a) for a in amounts] == [
        int(float(a)) if float(a).is_integer() else float(a) for a in amounts
    ]
    assert len(json_values._MONEY) <= json_values._MONEY_KEPT
    assert json_ready(amounts[7]) == 0.07


@dataclass(frozen=True)
class _Line:
    name: str
    amount: Decimal
    share: float | None
    at: datetime


def test_a_report_answered_as_it_is_has_the_bytes_of_its_plain_values():
    body = {
        "as_of": datetime(2027, 1, 1, 9, 30, 0, 123456, tzinfo=UTC),
        "lines": [
            _Line("ada", Decimal("1.10"), 15.0, datetime(2027, 1, 1, tzinfo=UTC)),
            _Line("ryan", Decimal("123456789012345678.91"), None, datetime(2027, 1, 2)),
        ],
        "by_rep": {"ada": (1, Decimal("250000.00"))},
        "sources": {"web", "fair"} - {"fair"},
    }
    answered = JSONResponse(body).body
    assert answered == JSONResponse(json_ready(body)).body
    assert b'"amount":123456789012345678.91' in answered
    assert b'"amount":1.1,' in answered
    assert b'"as_of":"2027-01-01T09:30:00.123456+00:00"' in answered
