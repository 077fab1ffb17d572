from copy import deepcopy
from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.errors import InvalidValue, NotAllowedNow, NotFound
from domain.opportunities import OpportunityClosed, OpportunityNotClosed, OpportunityStatus
from domain.stages import DEFAULT_STAGES
from store.log_reader import all_envelopes
from tests.builders import open_deal


def test_new_opportunity_starts_in_the_first_stage_owned_by_its_opener(app, ryan):
    opp = app.get_opportunity(open_deal(app, ryan()))
    assert (opp.stage, opp.owner, opp.status) == ("contact", "ryan", OpportunityStatus.OPEN)
    assert opp.currency == "CNY"


def test_negative_amount_is_refused(app, ryan):
    with pytest.raises(InvalidValue) as error:
        open_deal(app, ryan(), amount=Decimal(-1))
    assert error.value.field == "amount"


def test_another_currency_is_refused_until_multi_currency_exists(app, ryan):
    with pytest.raises(InvalidValue) as error:
        app.open_opportunity(
            ryan(),
            name="x",
            customer="y",
            amount=Decimal(1),
            expected_close=date(2027, 1, 1),
            currency="USD",
        )
    assert error.value.field == "currency"


def test_moving_records_from_and_to_stage(app, ryan):
    opp_id = open_deal(app, ryan())
    app.move_opportunity(ryan(), opp_id, stage="proposal")
    last = list(all_envelopes(app))[-1]
    assert last["data"] == {"from_stage": "contact", "to_stage": "proposal"}


def test_unknown_stage_is_refused_naming_the_stages_that_exist(app, ryan):
    opp_id = open_deal(app, ryan())
    with pytest.raises(InvalidValue, match="contact, needs, proposal, negotiation"):
        app.move_opportunity(ryan(), opp_id, stage="dreaming")


def test_won_and_lost_are_reached_by_win_and_lose_not_by_a_move(app, ryan):
    opp_id = open_deal(app, ryan())
    with pytest.raises(InvalidValue):
        app.move_opportunity(ryan(), opp_id, stage="won")


def test_moving_to_the_current_stage_is_a_conflict(app, ryan):
    opp_id = open_deal(app, ryan())
    with pytest.raises(NotAllowedNow):
        app.move_opportunity(ryan(), opp_id, stage="contact")


def test_a_closed_opportunity_takes_no_stage_change(app, ryan):
    opp_id = open_deal(app, ryan())
    app.lose_opportunity(ryan(), opp_id, reason="price", competitor="Initech")
    with pytest.raises(OpportunityClosed):
        app.move_opportunity(ryan(), opp_id, stage="needs")
    with pytest.raises(OpportunityClosed):
        app.change_opportunity_amount(ryan(), opp_id, amount=Decimal(1))


def test_lost_opportunity_records_the_stage_it_was_lost_in(app, ryan):
    opp_id = open_deal(app, ryan())
    app.move_opportunity(ryan(), opp_id, stage="negotiation")
    app.lose_opportunity(ryan(), opp_id, reason="price", competitor="Initech")
    lost, alert = list(all_envelopes(app))[-2:]
    assert lost["type"] == "OpportunityLost"
    assert lost["data"] == {"stage": "negotiation", "reason": "price", "competitor": "Initech"}
    # lost at proposal or later: the manager is told, to step in for a second follow-up
    assert (alert["type"], alert["data"]["kind"]) == ("AlertRaised", "deal_lost_late")
    assert (alert["data"]["audience"], alert["data"]["rep"]) == ("manager", "ryan")


def test_a_deal_lost_early_raises_no_alert_and_a_win_asks_for_an_after_sale_call(app, ryan):
    early = open_deal(app, ryan())
    app.lose_opportunity(ryan(), early, reason="no budget")
    won = open_deal(app, ryan())
    app.win_opportunity(ryan(), won)
    alerts = [e["data"] for e in all_envelopes(app) if e["type"] == "AlertRaised"]
    assert [(a["kind"], a["subject_id"]) for a in alerts] == [("after_sale_call", str(won))]
    assert alerts[0]["due_at"] == (ryan().at + timedelta(days=3)).isoformat()


def test_win_uses_the_final_amount_when_given(app, ryan):
    opp_id = open_deal(app, ryan())
    app.win_opportunity(ryan(), opp_id, amount=Decimal(95_000))
    opp = app.get_opportunity(opp_id)
    assert (opp.status, opp.amount, opp.stage) == (OpportunityStatus.WON, Decimal(95_000), "won")


def test_reopen_returns_to_the_stage_it_was_closed_from(app, ryan):
    opp_id = open_deal(app, ryan())
    app.move_opportunity(ryan(), opp_id, stage="proposal")
    app.lose_opportunity(ryan(), opp_id, reason="timing")
    app.reopen_opportunity(ryan(), opp_id)
    opp = app.get_opportunity(opp_id)
    assert (opp.status, opp.stage) == (OpportunityStatus.OPEN, "proposal")


def test_only_a_closed_opportunity_can_be_reopened(app, ryan):
    with pytest.raises(OpportunityNotClosed):
        app.reopen_opportunity(ryan(), open_deal(app, ryan()))


def test_reassignment_changes_the_owner(app, ryan, maria):
    opp_id = open_deal(app, ryan())
    app.reassign_opportunity(maria(), opp_id, to_rep="rita")
    assert app.get_opportunity(opp_id).owner == "rita"


def test_amount_and_close_date_changes_must_change_something(app, ryan):
    opp_id = open_deal(app, ryan())
    with pytest.raises(NotAllowedNow):
        app.change_opportunity_amount(ryan(), opp_id, amount=Decimal(100_000))
    app.change_opportunity_close_date(ryan(), opp_id, expected_close=date(2027, 6, 30))
    assert app.get_opportunity(opp_id).expected_close == date(2027, 6, 30)


def test_a_product_line_pipeline_replaces_the_default_stages(app, ryan, maria):
    app.define_pipeline(
        maria(),
        "hardware",
        [
            {"key": "demo", "name": "Demo", "probability": "0.2"},
            {"key": "trial", "name": "Trial", "probability": "0.6"},
        ],
    )
    opp_id = open_deal(app, ryan(), product_line="hardware")
    assert app.get_opportunity(opp_id).stage == "demo"
    app.move_opportunity(ryan(), opp_id, stage="trial")
    with pytest.raises(InvalidValue):
        app.move_opportunity(ryan(), opp_id, stage="proposal")


def test_redefining_a_pipeline_keeps_the_old_definition_for_earlier_moments(app, maria, clock):
    app.define_pipeline(maria(), "hw", [{"key": "a", "name": "A", "probability": "0.1"}])
    before = clock.now()
    clock.advance(days=1)
    app.define_pipeline(maria(), "hw", [{"key": "b", "name": "B", "probability": "0.3"}])
    assert app.stages_for("hw", as_of=before).keys == ["a"]
    assert app.stages_for("hw").keys == ["b"]
    assert app.stages_for("unknown-line") == DEFAULT_STAGES


@pytest.mark.parametrize(
    ("stages", "field"),
    [
        ([], "stages"),
        ([{"key": "won", "probability": "1"}], "stages.0.key"),
        ([{"key": "a", "probability": "1.5"}], "stages.0.probability"),
        ([{"key": "a", "probability": "0.1"}, {"key": "a", "probability": "0.2"}], "stages"),
    ],
)
def test_invalid_pipeline_definitions_are_refused(app, maria, stages, field):
    with pytest.raises(InvalidValue) as error:
        app.define_pipeline(maria(), "hw", stages)
    assert error.value.field == field


def test_unknown_opportunity_is_not_found(app, ryan):
    from uuid import uuid4

    with pytest.raises(NotFound):
        app.move_opportunity(ryan(), uuid4(), stage="needs")


def test_a_copy_for_a_command_shares_no_mutable_state_with_the_cached_aggregate(app, ryan):
    deal = app.get_opportunity(open_deal(app, ryan(), amount=1000))
    copy = deepcopy(deal)
    assert vars(copy).keys() == vars(deal).keys()
    assert all(getattr(copy, k) == getattr(deal, k) for k in vars(deal))
    copy.move_to_stage(ryan(), app.stages_for("general"), stage="needs")
    assert (deal.stage, deal.version, deal.collect_events()) == ("contact", 1, [])
    mutable = [k for k, v in vars(deal).items() if isinstance(v, (dict, list, set))]
    assert all(getattr(copy, k) is not getattr(deal, k) for k in mutable)
