"""The filters every report takes: rep, team, product line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ReportFilter:
    """Restricts a report to one rep, one team (by the user directory) or one product line."""

    rep: str | None = None
    team: str | None = None
    product_line: str | None = None

    def matches(
        self, rep: str | None, product_line: str | None, teams: Mapping[str, str | None]
    ) -> bool:
        if self.rep is not None and rep != self.rep:
            return False
        if self.team is not None and (rep is None or teams.get(rep) != self.team):
            return False
        return not (
            self.product_line is not None
            and product_line is not None
            and product_line != self.product_line
        )
