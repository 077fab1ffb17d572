from decimal import Decimal

import pytest

from domain.errors import InvalidValue
from domain.scoring import DEFAULT_RULES, Authority, ScoringRules, Tier


def test_all_four_bant_criteria_met_scores_ten_and_is_high():
    assert DEFAULT_RULES.score(Decimal(100_000), Authority.MANAGER, True, 30) == (10, Tier.HIGH)


def test_budget_below_threshold_and_staff_contact_score_only_need_and_timeline():
    assert DEFAULT_RULES.score(Decimal(99_999), Authority.STAFF, True, 30) == (5, Tier.MEDIUM)


def test_nothing_met_scores_zero_and_is_low():
    assert DEFAULT_RULES.score(Decimal(0), Authority.STAFF, False, 31) == (0, Tier.LOW)


@pytest.mark.parametrize(
    ("score", "tier"), [(8, Tier.HIGH), (7, Tier.MEDIUM), (5, Tier.MEDIUM), (4, Tier.LOW)]
)
def test_tier_thresholds_are_eight_and_five(score, tier):
    assert DEFAULT_RULES.tier_of(score) == tier


def test_director_and_executive_count_as_at_least_manager():
    for authority in (Authority.DIRECTOR, Authority.EXECUTIVE):
        assert DEFAULT_RULES.score(Decimal(0), authority, False, 99) == (3, Tier.LOW)


def test_weights_are_configuration():
    rules = ScoringRules(budget_threshold=Decimal(10), budget_points=5)
    assert rules.score(Decimal(10), Authority.STAFF, False, 99) == (5, Tier.MEDIUM)


def test_negative_budget_is_refused_naming_the_field():
    with pytest.raises(InvalidValue) as error:
        DEFAULT_RULES.score(Decimal(-1), Authority.STAFF, False, 1)
    assert error.value.field == "budget"


def test_first_contact_sla_is_24h_for_high_48h_for_medium_none_for_low():
    assert DEFAULT_RULES.sla_hours("high") == 24
    assert DEFAULT_RULES.sla_hours("medium") == 48
    assert DEFAULT_RULES.sla_hours("low") is None
    assert DEFAULT_RULES.sla_hours(None) is None
