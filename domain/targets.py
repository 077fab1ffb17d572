"""A year's sales target: the company's amount split by month, and each team's and rep's.

Setting it again is an event too, so the target a report compares with is the one in force at
the moment it is asked about. A month not given shares what the given months leave of the
company's amount evenly; a team's or a rep's yearly amount is split over the months in the
company's proportions.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import SalesAggregate
from domain.checks import require_non_negative
from domain.context import CommandContext
from domain.errors import InvalidValue

MONTHS = 12


def target_id(year: int) -> UUID:
    """One target per year: a deterministic id is the uniqueness index."""
    return uuid5(NAMESPACE_URL, f"salesledger:target:{year}")


class SalesTarget(SalesAggregate):
    """The amounts a year's won deals are measured against."""

    class Set(SalesAggregate.Created):
        year: int
        company: Decimal
        by_month: dict[str, Decimal]
        by_team: dict[str, Decimal]
        by_rep: dict[str, Decimal]

        def apply(self, target: SalesTarget) -> None:
            target._take(self)

    class Changed(SalesAggregate.Event):
        year: int
        company: Decimal
        by_month: dict[str, Decimal]
        by_team: dict[str, Decimal]
        by_rep: dict[str, Decimal]

        def apply(self, target: SalesTarget) -> None:
            target._take(self)

    if TYPE_CHECKING:
        year: int
        company: Decimal
        by_month: dict[str, Decimal]
        by_team: dict[str, Decimal]
        by_rep: dict[str, Decimal]

    def _take(self, event: SalesTarget.Set | SalesTarget.Changed) -> None:
        self.year = event.year
        self.company = event.company
        self.by_month = dict(event.by_month)
        self.by_team = dict(event.by_team)
        self.by_rep = dict(event.by_rep)

    @classmethod
    def set(cls, ctx: CommandContext, year: int, **amounts: object) -> SalesTarget:
        return cls._open(cls.Set, ctx, id=target_id(year), year=year, **_checked(year, amounts))

    def change(self, ctx: CommandContext, **amounts: object) -> None:
        checked = _checked(self.year, amounts)
        current = {"company": self.company, "by_month": self.by_month,
                   "by_team": self.by_team, "by_rep": self.by_rep}  # fmt: skip
        if checked != current:  # the same target again changes nothing, as a PUT should
            self._record(self.Changed, ctx, year=self.year, **checked)


def _checked(year: int, amounts: dict) -> dict:
    company = Decimal(amounts["company"])  # type: ignore[arg-type]
    require_non_negative(company, "company")
    given = amounts.get("by_month") or {}
    by_month = {m: Decimal(a) for m, a in given.items()}  # type: ignore[union-attr]
    for month, amount in by_month.items():
        if not (len(month) == 7 and month[:5] == f"{year:04d}-" and "01" <= month[5:] <= "12"):
            raise InvalidValue(f"{month} is not a month of {year} (YYYY-MM)", field="by_month")
        require_non_negative(amount, "by_month")
    if sum(by_month.values(), Decimal(0)) > company:
        raise InvalidValue("the months add up to more than the company's target", "by_month")
    split_of: dict[str, dict[str, Decimal]] = {}
    for field in ("by_team", "by_rep"):
        named = amounts.get(field) or {}
        split_of[field] = {n: Decimal(a) for n, a in named.items()}  # type: ignore[union-attr]
        for amount in split_of[field].values():
            require_non_negative(amount, field)
    return {"company": company, "by_month": by_month, **split_of}


@cache
def months_of(year: int) -> tuple[str, ...]:
    return tuple(f"{year:04d}-{m:02d}" for m in range(1, MONTHS + 1))


def company_by_month(company: int, given: dict[str, int], year: int) -> dict[str, int]:
    """The company's amount (in whole units: cents) by month: the given months as given, what
    they leave shared evenly by the others (the odd units to the first of them)."""
    rest = [m for m in months_of(year) if m not in given]
    shares = split(company - sum(given.values()), [1] * len(rest)) if rest else []
    return {**given, **dict(zip(rest, shares, strict=True))}


def split(amount: int, weights: list[int]) -> list[int]:
    """An amount in whole units shared in proportion to the weights (evenly when they are all
    zero), the parts adding up to it exactly: rounded down, the units left over going one each
    to the first parts."""
    if not weights:
        return []
    if not any(weights):
        weights = [1] * len(weights)
    total = sum(weights)
    parts = [amount * w // total for w in weights]
    for i in range(amount - sum(parts)):
        parts[i % len(parts)] += 1
    return parts
