"""The filters every report takes: rep, team, product line."""

from __future__ import annotations

from dataclasses import dataclass

from projections.teams import TeamHistory


@dataclass(frozen=True)
class ReportFilter:
    """Restricts a report to one rep, one team or one product line."""

    rep: str | None = None
    team: str | None = None
    product_line: str | None = None

    def rows_of(
        self, rows: list[tuple], teams: TeamHistory, rep: int, product_line: int, at: int
    ) -> list[tuple]:
        """The rows in the report, whose rep, product line and moment are at those places;
        all of them at once when nothing is filtered (the common case, for thousands of rows)."""
        if self.rep is None and self.team is None and self.product_line is None:
            return rows
        return [r for r in rows if self.matches(r[rep], r[product_line], teams, r[at])]

    def matches(
        self,
        rep: str | None,
        product_line: str | None,
        teams: TeamHistory,
        at: str | None = None,
    ) -> bool:
        """Whether a fact of `rep`'s at `at` (UTC ISO text; now when None) is in the report:
        the team is the one the rep was in at that moment."""
        if self.rep is not None and rep != self.rep:
            return False
        if self.team is not None and (rep is None or teams.team_of(rep, at) != self.team):
            return False
        return not (
            self.product_line is not None
            and product_line is not None
            and product_line != self.product_line
        )
