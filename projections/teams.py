"""Which team a rep was in at a moment: the recorded memberships, else the user directory."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field

from projections.table_store import SqlTables


@dataclass(frozen=True)
class Spell:
    """A rep's time in one team: from `since` (UTC ISO text) to the next spell's start."""

    since: str
    team: str | None


@dataclass(frozen=True)
class TeamHistory:
    """Every rep's teams over time. A rep with no recorded membership is in the directory's
    team at every moment; before their first recorded one, in the team it says they came from."""

    directory: Mapping[str, str | None]
    spells: Mapping[str, list[Spell]] = field(default_factory=dict)
    before_first: Mapping[str, str | None] = field(default_factory=dict)

    def team_of(self, rep: str | None, at: str | None = None) -> str | None:
        """The rep's team at `at` (UTC ISO text), or now when None."""
        if rep is None:
            return None
        spells = self.spells.get(rep)
        if not spells:
            return self.directory.get(rep)
        if at is None:
            return spells[-1].team
        index = bisect_right(spells, at, key=lambda spell: spell.since)
        return spells[index - 1].team if index else self.before_first.get(rep)


def team_history(tables: SqlTables, directory: Mapping[str, str | None]) -> TeamHistory:
    """The recorded memberships (a row per team change: few) with the directory behind them."""
    rows = tables.read(
        "SELECT rep, valid_from, team, previous_team, version FROM rm_team_member_history "
        "ORDER BY rep, version"
    )
    spells: dict[str, list[Spell]] = {}
    before_first: dict[str, str | None] = {}
    for rep, since, team, previous, _ in rows:
        if rep not in spells:
            before_first[rep] = previous
        spells.setdefault(rep, []).append(Spell(since, team))
    return TeamHistory(directory, spells, before_first)
