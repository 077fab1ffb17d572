"""Each report over a scripted history (the ledger's tables in SQLite, stage conversion's
documents); every expected number is computed by hand."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from consumers.in_process import StoreFollower
from domain.followups import FollowUp
from domain.scoring import Authority
from projections import ledger_reports
from projections.catalog import all_projections
from projections.filters import ReportFilter
from projections.report_rows import FunnelStage, LeadFunnel, iso_week
from projections.reports.stage_conversion import StageConversion
from projections.sql_store import SqlDocStore
from projections.teams import TeamHistory
from store.database import Database
from tests.builders import capture, open_deal
from tests.conftest import MONDAY

DEFAULT_KEYS = ("contact", "needs", "proposal", "negotiation")
TEAMS = TeamHistory({"ryan": "east", "rita": "east", "maria": "east", "will": "west"})
ANYONE = ReportFilter()


def fold(app):
    """The read models of everything the application stored, in an in-memory SQLite database."""
    store = SqlDocStore(Database.sqlite(":memory:"))
    StoreFollower(app, store, all_projections(), publish=lambda e: e).catch_up()
    return {"ledger": store.tables["ledger"]}


def funnel_report(ledger, filters, teams):
    return ledger_reports.funnel(ledger, None, filters, teams)


def rep_activity_report(ledger, week, filters, teams):
    return ledger_reports.rep_activity(ledger, week, None, filters, teams)


class TestFunnel:
    @pytest.fixture
    def states(self, app, ryan, rita):
        open_deal(app, ryan(), 100_000)  # stays in contact: weighted 10,000
        b = open_deal(app, rita(), 200_000)
        app.move_opportunity(rita(), b, stage="proposal")  # weighted 100,000
        c = open_deal(app, ryan(), 50_000)
        app.move_opportunity(ryan(), c, stage="negotiation")
        app.win_opportunity(ryan(), c)  # closed: not in the funnel
        d = open_deal(app, ryan(), 30_000)
        app.lose_opportunity(ryan(), d, reason="price")  # closed: not in the funnel
        e = open_deal(app, ryan(), 40_000)
        app.change_opportunity_amount(ryan(), e, amount=Decimal(60_000))
        app.move_opportunity(ryan(), e, stage="needs")  # weighted 15,000

        capture(app, ryan())  # captured only
        l2 = capture(app, ryan())
        app.claim_lead(ryan(), l2)
        app.follow_up_lead(ryan(), l2, FollowUp("call", "hi"))  # contacted
        l3 = capture(app, ryan())
        app.qualify_lead(ryan(), l3)  # qualified without a logged contact
        l4 = capture(app, ryan())
        app.claim_lead(ryan(), l4)
        app.follow_up_lead(ryan(), l4, FollowUp("call", "hi"))
        app.convert_lead(
            ryan(), l4, name="L4", amount=Decimal(0), expected_close=date(2027, 1, 1)
        )  # converted, and its opportunity opens in contact with amount 0
        return fold(app)

    def test_open_opportunities_per_stage_with_weighted_amounts(self, states):
        report = funnel_report(states["ledger"], ANYONE, TEAMS)
        assert report.stages == [
            FunnelStage("contact", 2, Decimal(100_000), Decimal("10000.00")),
            FunnelStage("needs", 1, Decimal(60_000), Decimal("15000.00")),
            FunnelStage("proposal", 1, Decimal(200_000), Decimal("100000.00")),
            FunnelStage("negotiation", 0, Decimal(0), Decimal("0.00")),
        ]

    def test_lead_funnel_is_cumulative(self, states):
        report = funnel_report(states["ledger"], ANYONE, TEAMS)
        assert report.leads == LeadFunnel(captured=4, contacted=3, qualified=2, converted=1)

    def test_rep_filter_keeps_that_reps_opportunities_and_leads(self, states):
        report = funnel_report(states["ledger"], ReportFilter(rep="rita"), TEAMS)
        assert [(s.stage, s.count) for s in report.stages] == [
            ("contact", 0),
            ("needs", 0),
            ("proposal", 1),
            ("negotiation", 0),
        ]
        assert report.leads == LeadFunnel()

    def test_team_filter_uses_the_user_directory(self, states):
        west = funnel_report(states["ledger"], ReportFilter(team="west"), TEAMS)
        assert sum(s.count for s in west.stages) == 0
        east = funnel_report(states["ledger"], ReportFilter(team="east"), TEAMS)
        assert sum(s.count for s in east.stages) == 4

    def test_weighted_amount_follows_a_product_lines_own_probabilities(self, app, ryan, maria):
        app.define_pipeline(maria(), "hw", [{"key": "demo", "name": "D", "probability": "0.3"}])
        app.open_opportunity(
            ryan(),
            name="x",
            customer="y",
            amount=Decimal(1000),
            expected_close=date(2027, 1, 1),
            product_line="hw",
        )
        report = funnel_report(fold(app)["ledger"], ReportFilter(product_line="hw"), TEAMS)
        assert report.stages == [FunnelStage("demo", 1, Decimal(1000), Decimal("300.00"))]


class TestStageConversion:
    @pytest.fixture
    def states(self, app, ryan, clock):
        t0 = clock.now()
        o1, o2, o3, o4 = (open_deal(app, ryan(), 1000) for _ in range(4))

        def at(days, command, *args, **kwargs):
            clock.set(t0 + timedelta(days=days))
            command(ryan(), *args, **kwargs)

        at(1, app.move_opportunity, o4, stage="proposal")  # skips needs
        at(2, app.move_opportunity, o1, stage="needs")
        at(3, app.move_opportunity, o4, stage="needs")  # back from proposal
        at(4, app.move_opportunity, o2, stage="needs")
        at(4, app.move_opportunity, o4, stage="negotiation")
        at(5, app.move_opportunity, o1, stage="proposal")
        at(5, app.lose_opportunity, o2, reason="budget cut")  # lost in needs
        at(6, app.win_opportunity, o1)
        self.t0 = t0
        return fold(app)

    def test_entered_advanced_lost_and_days_per_stage(self, states):
        rows = ledger_reports.stage_conversion(states["ledger"], None, None, None, ANYONE, TEAMS)
        assert rows == [
            # contact: o1 2d, o2 4d, o4 1d; o3 never left; all but o3 went further
            StageConversion("contact", 4, 3, 0, 0.75, 2.33, 2.0),
            # needs: o1 3d then proposal, o2 1d then lost, o4 1d then negotiation
            StageConversion("needs", 3, 2, 1, 0.6667, 1.67, 1.0),
            # proposal: o1 1d then won; o4 2d back to needs, later reached negotiation
            StageConversion("proposal", 2, 2, 0, 1.0, 1.5, 1.5),
            StageConversion("negotiation", 1, 0, 0, 0.0, None, None),
        ]

    def test_period_counts_entries_that_happened_within_it(self, states):
        since = self.t0 + timedelta(days=2)
        rows = ledger_reports.stage_conversion(states["ledger"], None, since, None, ANYONE, TEAMS)
        assert [(r.stage, r.entered) for r in rows] == [
            ("contact", 0),
            ("needs", 3),
            ("proposal", 1),
            ("negotiation", 1),
        ]
        until = self.t0 + timedelta(days=3)
        rows = ledger_reports.stage_conversion(states["ledger"], None, since, until, ANYONE, TEAMS)
        assert [(r.stage, r.entered) for r in rows] == [
            ("contact", 0),
            ("needs", 1),
            ("proposal", 0),
            ("negotiation", 0),
        ]

    def test_a_product_lines_own_stage_order_tells_what_advanced(self, app, ryan, maria, clock):
        stages = [{"key": k, "name": k, "probability": "0.5"} for k in ("trial", "demo", "deal")]
        app.define_pipeline(maria(), "hw", stages)
        t0 = clock.now()
        forward, back = (open_deal(app, ryan(), 1000, product_line="hw") for _ in range(2))
        clock.set(t0 + timedelta(days=1))
        app.move_opportunity(ryan(), forward, stage="demo")
        app.move_opportunity(ryan(), back, stage="deal")
        clock.set(t0 + timedelta(days=2))
        app.move_opportunity(ryan(), back, stage="demo")  # back from deal: no advance
        hardware = ReportFilter(product_line="hw")
        rows = ledger_reports.stage_conversion(
            fold(app)["ledger"], None, None, None, hardware, TEAMS
        )
        assert rows == [
            # both left trial after a day for a later stage of hw's pipeline
            StageConversion("trial", 2, 2, 0, 1.0, 1.0, 1.0),
            StageConversion("demo", 2, 0, 0, 0.0, None, None),
            StageConversion("deal", 1, 0, 0, 0.0, 1.0, 1.0),
        ]

    def test_a_period_after_a_pipeline_is_defined_counts_each_line_by_its_own_order(
        self, app, ryan, maria, clock
    ):
        stages = [{"key": k, "name": k, "probability": "0.5"} for k in ("trial", "demo", "deal")]
        app.define_pipeline(maria(), "hw", stages)
        t0 = clock.now()
        clock.set(t0 + timedelta(days=1))
        hardware = open_deal(app, ryan(), 1000, product_line="hw")
        general = open_deal(app, ryan(), 1000)
        clock.set(t0 + timedelta(days=3))
        app.move_opportunity(ryan(), hardware, stage="demo")
        clock.set(t0 + timedelta(days=4))
        app.win_opportunity(ryan(), hardware)
        clock.set(t0 + timedelta(days=5))
        app.lose_opportunity(ryan(), general, reason="price")
        ledger, since = fold(app)["ledger"], t0 + timedelta(days=2)
        rows = ledger_reports.stage_conversion(ledger, None, since, None, ANYONE, TEAMS)
        # the general deal's one fact in the period closed a stay begun before it: nothing
        # counted, but its line's stages are listed, before hw's
        empty = [StageConversion(s, 0, 0, 0, None, None, None) for s in DEFAULT_KEYS]
        assert rows == [
            *empty,
            StageConversion("trial", 0, 0, 0, None, None, None),
            StageConversion("demo", 1, 1, 0, 1.0, 1.0, 1.0),  # a day in demo, then won
            StageConversion("deal", 0, 0, 0, None, None, None),
        ]
        assert rows == ledger_reports.stage_conversion(
            ledger, None, since, None, ANYONE, TEAMS, walk_every_deal=True
        )


class TestRepActivity:
    @pytest.fixture
    def states(self, app, ryan, rita, maria, clock):
        monday = MONDAY  # 09:00, week 2026-W48

        def at(delta_hours):
            clock.set(monday + timedelta(hours=delta_hours))

        l1, l2, l3 = (capture(app, maria()) for _ in range(3))
        high = {"budget": Decimal(200_000), "authority": Authority.DIRECTOR}
        app.score_lead(maria(), l1, need_clear=True, timeline_days=10, **high)  # 10: high
        app.score_lead(
            maria(),
            l2,
            budget=Decimal(0),
            authority=Authority.MANAGER,
            need_clear=True,
            timeline_days=90,
        )  # 5: medium
        app.claim_lead(ryan(), l1)
        app.assign_lead(maria(), l2, rep="rita")
        at(11)
        app.follow_up_lead(ryan(), l1, FollowUp("call", "first call"))  # 11 h: within 24 h
        at(24)
        app.claim_lead(ryan(), l3)
        app.follow_up_lead(ryan(), l3, FollowUp("visit", "visit"))  # unscored: no SLA
        o1 = open_deal(app, ryan(), 80_000)
        app.move_opportunity(ryan(), o1, stage="needs")  # advance
        app.move_opportunity(ryan(), o1, stage="contact")  # back: not an advance
        app.move_opportunity(ryan(), o1, stage="proposal")  # advance
        at(48)
        app.win_opportunity(ryan(), o1)
        at(72)
        app.follow_up_lead(rita(), l2, FollowUp("email", "late"))  # 72 h: misses 48 h
        at(73)
        app.follow_up_lead(rita(), l2, FollowUp("call", "again"))  # not a first contact
        o2 = open_deal(app, rita(), 10_000)
        at(96)
        app.lose_opportunity(rita(), o2, reason="no budget")
        at(24 * 7 + 1)  # next week
        app.follow_up_lead(ryan(), l1, FollowUp("call", "next week"))
        return fold(app), {"l1": l1, "o1": o1}

    def test_rows_per_rep_for_the_week(self, states):
        folded, _ = states
        rows = {r.rep: r for r in rep_activity_report(folded["ledger"], "2026-W48", ANYONE, TEAMS)}
        assert set(rows) == {"maria", "rita", "ryan"}
        ryan = rows["ryan"]
        assert (ryan.leads_assigned, ryan.leads_claimed) == (0, 2)
        assert ryan.follow_ups == {"call": 1, "visit": 1}
        assert ryan.touched == 3  # l1, l3, o1
        assert (ryan.first_contacts, ryan.first_contact_within_sla) == (2, 100.0)
        assert (ryan.opportunities_opened, ryan.stage_advances) == (1, 2)
        assert (ryan.won_count, ryan.won_amount, ryan.lost_count) == (1, Decimal(80_000), 0)
        assert ryan.last_activity_at == (MONDAY + timedelta(hours=48)).isoformat()
        rita = rows["rita"]
        assert (rita.leads_assigned, rita.leads_claimed) == (1, 0)
        assert rita.follow_ups == {"call": 1, "email": 1}
        assert rita.touched == 2  # l2, o2
        assert (rita.first_contacts, rita.first_contact_within_sla) == (1, 0.0)
        assert (rita.opportunities_opened, rita.won_count, rita.lost_count) == (1, 0, 1)
        maria = rows["maria"]
        assert maria.touched == 3
        assert maria.first_contact_within_sla is None

    def test_the_next_week_holds_only_the_next_weeks_work(self, states):
        folded, _ = states
        rows = rep_activity_report(folded["ledger"], "2026-W49", ANYONE, TEAMS)
        assert [(r.rep, r.follow_ups, r.first_contacts) for r in rows] == [("ryan", {"call": 1}, 0)]

    def test_rep_filter_and_team_filter(self, states):
        folded, _ = states
        only = rep_activity_report(folded["ledger"], "2026-W48", ReportFilter(rep="rita"), TEAMS)
        assert [r.rep for r in only] == ["rita"]
        west = rep_activity_report(folded["ledger"], "2026-W48", ReportFilter(team="west"), TEAMS)
        assert west == []


@pytest.mark.parametrize(
    "occurred_at",
    [
        "2026-11-23T09:00:00+00:00",
        "2026-12-31T23:59:59.999999+00:00",  # ISO week 53 of 2026
        "2027-01-03T23:59:59+00:00",  # still 2026's week 53
        "2027-01-04T00:00:00+00:00",
    ],
)
def test_an_events_week_is_the_iso_week_of_its_recorded_utc_time(occurred_at):
    from datetime import datetime

    start, end = ledger_reports.week_bounds(iso_week(datetime.fromisoformat(occurred_at)))
    assert start <= occurred_at < end


def test_forecast_accuracy_compares_what_was_won_with_the_forecast_of_the_first_day(
    app, ryan, clock
):
    a = open_deal(app, ryan(), 100_000, expected_close=date(2026, 12, 15))
    app.move_opportunity(ryan(), a, stage="proposal")  # 50 %: 50,000
    b = open_deal(app, ryan(), 40_000, expected_close=date(2026, 12, 20))
    app.move_opportunity(ryan(), b, stage="negotiation")  # 75 %: 30,000, and commit
    clock.set(MONDAY.replace(month=12, day=2))
    c = open_deal(app, ryan(), 10_000, expected_close=date(2026, 12, 31))  # after the 1st
    app.change_opportunity_close_date(ryan(), b, expected_close=date(2027, 2, 1))
    clock.set(MONDAY.replace(month=12, day=10))
    app.win_opportunity(ryan(), a, amount=Decimal(80_000))
    app.win_opportunity(ryan(), c)
    report = ledger_reports.forecast_accuracy(fold(app)["ledger"], "2026-12", None, ANYONE, TEAMS)
    assert report.forecast_as_of == "2026-12-01T00:00:00+00:00"
    assert (report.weighted_forecast, report.best_case, report.commit) == (
        Decimal("80000.00"), Decimal(140_000), Decimal(40_000),
    )  # fmt: skip
    assert report.won == Decimal(90_000)
    assert report.accuracy == 1.125
    november = ledger_reports.forecast_accuracy(fold(app)["ledger"], "2026-11", None, ANYONE, TEAMS)
    assert (november.weighted_forecast, november.won, november.accuracy) == (0, 0, None)
