"""Which team a rep was in at a moment."""

from projections.teams import Spell, TeamHistory

DIRECTORY = {"ryan": "east", "will": "east"}
MOVED = TeamHistory(
    DIRECTORY,
    spells={"will": [Spell("2026-11-28T10:00:00+00:00", "east")]},
    before_first={"will": "west"},
)


def test_a_rep_never_moved_is_in_the_directorys_team_at_every_moment():
    assert MOVED.team_of("ryan", "2020-01-01T00:00:00+00:00") == "east"
    assert MOVED.team_of("ryan") == "east"


def test_before_the_first_recorded_move_a_rep_is_in_the_team_they_came_from():
    assert MOVED.team_of("will", "2026-11-27T16:00:00+00:00") == "west"
    assert MOVED.team_of("will", "2026-11-28T10:00:00+00:00") == "east"  # from that moment
    assert MOVED.team_of("will") == "east"


def test_nobody_and_strangers_have_no_team():
    assert MOVED.team_of(None) is None
    assert MOVED.team_of("stranger", "2026-11-28T10:00:00+00:00") is None
