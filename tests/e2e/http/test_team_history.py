"""A rep moves to another team: their earlier work stays with the team they did it in.

The scripted week (test_week_of_activity) ends on Friday with will (west) having won OW for
45,000 and holding lead E; on Saturday he moves to east, and on Monday he wins a new deal.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.team_moves import move_to_team
from tests.e2e.http.test_week_of_activity import week  # noqa: F401 - the scripted week

pytestmark = pytest.mark.e2e


@pytest.fixture
def moved(week, container, clock):  # noqa: F811
    week.at("sat", "10:00")
    move_to_team(container, "ada", "will", "east")
    clock.set(clock.now() + timedelta(days=2))  # Monday 10:00, ISO week 2026-W49
    deal = {"name": "Zeta", "customer": "Zeta", "amount": 70_000, "expected_close": "2027-02-01"}
    zeta = week.ok("will", "/opportunities", deal, 201)["id"]
    week.ok("will", f"/opportunities/{zeta}/win", {"amount": 70_000})
    return week


def by_group(rows: list[dict]) -> dict:
    return {row["group"]: (row["won"], row["lost"]) for row in rows}


def test_a_win_counts_for_the_team_the_rep_was_in_when_it_closed(moved):
    report = moved.report("win-rate")
    assert by_group(report["by_team"]) == {"east": (1, 1), "west": (1, 0)}
    # east's manager sees rita's loss and will's win since he joined, not his west win
    east = moved.report("win-rate", "maria")
    assert by_group(east["by_rep"]) == {"rita": (0, 1), "will": (1, 0)}
    assert moved.report("win-rate", "wes")["by_rep"] == [
        {"group": "will", "won": 1, "lost": 0, "win_rate": 1.0}
    ]


def test_last_weeks_activity_stays_with_the_old_team(moved):
    west = moved.report("rep-activity", week="2026-W48", team="west")["rows"]
    assert [row["rep"] for row in west] == ["wes", "will"]  # wes captured lead E
    east = moved.report("rep-activity", week="2026-W48", team="east")["rows"]
    assert "will" not in [row["rep"] for row in east]
    this_week = moved.report("rep-activity", week="2026-W49", team="east")["rows"]
    assert [(row["rep"], row["won_count"]) for row in this_week] == [("will", 1)]


def test_team_targets_count_wins_by_the_team_of_their_time(moved):
    lines = moved.report("targets", year=2026)["lines"]
    won = {(x["name"], x["period"]): x["won"] for x in lines if x["scope"] == "team"}
    assert won[("west", "2026-11")] == 45_000
    assert won[("east", "2026-11")] == 70_000  # Monday 30 November, won in east
    assert won[("west", "2026")] == 45_000


def test_an_as_of_report_sees_the_teams_of_that_moment(moved):
    friday = "2026-11-27T18:00:00+00:00"
    assert moved.funnel(team="west", as_of=friday)["leads"]["captured"] == 1  # lead E
    assert moved.funnel(team="east", as_of=friday)["leads"]["captured"] == 3
    assert moved.funnel(team="east")["leads"]["captured"] == 4  # E is will's, in east now
    assert moved.funnel(team="west")["leads"]["captured"] == 0


def test_access_follows_the_move_at_once(moved):
    assert moved.api.as_("maria").get("/reports/weekly", rep="will").status_code == 200
    assert moved.api.as_("wes").get("/reports/weekly", rep="will").status_code == 403
