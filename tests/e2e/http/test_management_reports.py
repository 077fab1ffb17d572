"""The management reports on the scripted week (test_week_of_activity), number by number.

The week, as these reports see it: leads A (web, high), B (trade show, medium), C (referral,
low), D (web), E (SEM, unscored). A is claimed by ryan Monday 10:00 and called at 15:00 (within
its 24 h SLA), converted Tuesday into OA (300,000, closing 2027-01-15), which reaches
negotiation on Friday. B is assigned to rita and emailed 24 h later (within its 48 h SLA). E is
claimed by will (west). Rita's OB (120,000, no lead, closing 2026-12-20) is lost at proposal on
Thursday 14:00 (price, Initech); will's OW (50,000, no lead, closing 2026-12-31, opened
Wednesday 10:00) is won on Friday 16:00 for 45,000.
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.http.test_week_of_activity import week  # noqa: F401 - the scripted week

pytestmark = pytest.mark.e2e


def test_win_rate_counts_the_deals_closed_and_breaks_them_down(week):  # noqa: F811
    report = week.report("win-rate")
    assert (report["won"], report["lost"], report["win_rate"]) == (1, 1, 0.5)
    assert report["by_rep"] == [
        {"group": "rita", "won": 0, "lost": 1, "win_rate": 0.0},
        {"group": "will", "won": 1, "lost": 0, "win_rate": 1.0},
    ]
    assert [r["group"] for r in report["by_team"]] == ["east", "west"]
    assert report["by_product_line"] == [{"group": "general", "won": 1, "lost": 1, "win_rate": 0.5}]
    assert report["by_source"] == [{"group": None, "won": 1, "lost": 1, "win_rate": 0.5}]


def test_win_rate_is_scoped_to_the_managers_team_and_to_a_past_moment(week):  # noqa: F811
    assert week.report("win-rate", "maria")["by_rep"] == [
        {"group": "rita", "won": 0, "lost": 1, "win_rate": 0.0}
    ]
    thursday = week.snapshots["thu-afternoon"]["at"]
    assert (week.report("win-rate", as_of=thursday)["won"], 0) == (0, 0)
    tuesday = week.snapshots["tue-night"]["at"]
    assert week.report("win-rate", as_of=tuesday)["win_rate"] is None


def test_win_rate_of_a_period_counts_only_deals_closed_in_it(week):  # noqa: F811
    friday = "2026-11-27T00:00:00+00:00"
    assert week.report("win-rate", since=friday)["by_rep"] == [
        {"group": "will", "won": 1, "lost": 0, "win_rate": 1.0}
    ]
    assert week.report("win-rate", until=friday)["won"] == 0


def forecast_month(report: dict, month: str) -> dict:
    return next(m for m in report["months"] if m["month"] == month)


def test_forecast_weighs_open_deals_by_expected_close_month(week):  # noqa: F811
    report = week.report("forecast")
    assert [m["month"] for m in report["months"]] == [
        "overdue", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04",
    ]  # fmt: skip
    january = forecast_month(report, "2027-01")
    # OA in negotiation (75 %): weighted 225,000, and in commit
    assert january == {"month": "2027-01", "count": 1, "weighted_amount": 225_000,
                       "best_case": 300_000, "commit": 300_000}  # fmt: skip
    assert forecast_month(report, "2026-12")["count"] == 0  # OB lost, OW won
    assert list(report["by_rep"]) == ["ryan"]


def test_forecast_as_of_a_past_moment_is_the_forecast_then(week):  # noqa: F811
    tuesday = week.report("forecast", as_of=week.snapshots["tue-night"]["at"])
    assert forecast_month(tuesday, "2027-01") == {
        "month": "2027-01", "count": 1, "weighted_amount": 75_000, "best_case": 300_000,
        "commit": 0,
    }  # fmt: skip
    thursday = week.report("forecast", as_of=week.snapshots["thu-afternoon"]["at"])
    assert forecast_month(thursday, "2027-01")["weighted_amount"] == 150_000  # OA at proposal
    # OW open at needs (25 %); OB was lost at that very moment
    assert forecast_month(thursday, "2026-12") == {
        "month": "2026-12", "count": 1, "weighted_amount": 12_500, "best_case": 50_000,
        "commit": 0,
    }  # fmt: skip


def test_lead_conversion_follows_each_source_to_won(week):  # noqa: F811
    sources = {r["source"]: r for r in week.report("lead-conversion")["sources"]}
    assert sources["web"] == {
        "source": "web", "captured": 2, "contacted_within_sla": 1, "converted": 1, "won": 0,
        "conversion_rate": 0.5, "win_rate_of_converted": 0.0,
    }  # fmt: skip
    assert sources["trade_show"]["contacted_within_sla"] == 1
    assert sources["trade_show"]["win_rate_of_converted"] is None
    assert (sources["sem"]["captured"], sources["sem"]["contacted_within_sla"]) == (1, 0)
    assert sorted(sources) == ["referral", "sem", "trade_show", "web"]


def test_sales_cycle_counts_from_opening_when_there_is_no_lead(week):  # noqa: F811
    report = week.report("sales-cycle")
    # OW: opened Wednesday 10:00, won Friday 16:00
    assert (report["won"], report["mean_days"], report["median_days"]) == (1, 2.25, 2.25)
    assert report["by_size_band"] == [
        {"group": "< 100,000", "won": 1, "mean_days": 2.25, "median_days": 2.25}
    ]


def test_closed_won_and_lost_analysis(week):  # noqa: F811
    won = week.report("closed-won")
    assert (won["count"], won["amount"]) == (1, 45_000)
    assert won["by_customer"] == [{"group": "new", "count": 1, "amount": 45_000}]
    assert won["by_days_to_close"] == [{"group": "< 30 days", "count": 1, "amount": 45_000}]
    assert won["by_source"] == [{"group": "no lead", "count": 1, "amount": 45_000}]
    lost = week.report("lost")
    assert (lost["count"], lost["amount"]) == (1, 120_000)
    assert lost["by_stage"] == [{"group": "proposal", "count": 1, "amount": 120_000}]
    assert lost["by_reason"] == [{"group": "price", "count": 1, "amount": 120_000}]
    assert lost["by_competitor"] == [{"group": "Initech", "count": 1, "amount": 120_000}]


def test_a_rep_sees_only_their_own_figures(week):  # noqa: F811
    assert week.report("lost", "ryan")["count"] == 0
    assert week.report("lost", "rita")["count"] == 1
    asked = week.api.as_("ryan").get("/reports/win-rate", rep="rita")
    assert asked.status_code == 403


@pytest.mark.parametrize(
    "name",
    [
        "win-rate",
        "lead-conversion",
        "sales-cycle",
        "forecast",
        "closed-won",
        "lost",
        "pipeline-movement",
        "forecast-accuracy",
    ],
)
def test_every_report_answers_csv_with_the_fields_of_its_json_rows(week, name):  # noqa: F811
    response = week.api.as_("ada").client.get(
        f"/reports/{name}", headers={**week.api.as_("ada").headers, "Accept": "text/csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows, "some rows"
    body = week.report(name)
    json_rows = body.get("sources") or [
        row for key, value in body.items() if key.startswith("by_") and isinstance(value, list)
        for row in value
    ] or body.get("months") or body.get("stages") or [
        {k: v for k, v in body.items() if k != "as_of"}  # a one-row report
    ]  # fmt: skip
    assert set(rows[0]) - {"breakdown", "rep"} == set(json_rows[0])


def test_a_period_that_ends_before_it_starts_is_refused(week):  # noqa: F811
    response = week.api.as_("ada").get(
        "/reports/win-rate", since="2026-11-27T00:00:00Z", until="2026-11-26T00:00:00Z"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "since"


def test_pipeline_movement_over_the_week(week):  # noqa: F811
    whole = week.report("pipeline-movement", since="2026-11-23T00:00:00+00:00")
    assert whole["until"] == "2026-11-27T17:00:00+00:00"  # the clock: Friday 17:00
    assert whole["added"] == {"count": 3, "amount": 465_000}  # OA, OB, OW
    assert whole["advanced"] == {"count": 0, "amount": 0}  # none existed on Monday
    assert whole["won"] == {"count": 1, "amount": 45_000}
    assert whole["lost"] == {"count": 1, "amount": 120_000}
    into = {s["stage"]: (s["into"], s["out_of"]) for s in whole["stages"]}
    assert into == {"negotiation": (1, 0), "won": (1, 0), "lost": (1, 0)}


def test_pipeline_movement_since_wednesday(week):  # noqa: F811
    moved = week.report("pipeline-movement", since="2026-11-25T00:00:00+00:00")
    assert moved["added"] == {"count": 2, "amount": 165_000}  # OB, OW
    assert moved["advanced"] == {"count": 1, "amount": 300_000}  # OA: needs → negotiation
    assert moved["moved_back"] == {"count": 0, "amount": 0}
    stages = {s["stage"]: s for s in moved["stages"]}
    assert (stages["needs"]["out_of"], stages["needs"]["out_of_amount"]) == (1, 300_000)
    assert stages["negotiation"]["into"] == 1
    east = week.report("pipeline-movement", "maria", since="2026-11-25T00:00:00+00:00")
    assert east["added"] == {"count": 1, "amount": 120_000}  # OB: will's OW is west's


TARGET = {
    "company": 1_200_000,
    "by_month": {"2026-11": 300_000},  # the other eleven months share 900,000
    "by_team": {"east": 600_000, "west": 600_000},
    "by_rep": {"ryan": 300_000},
}


def line(report: dict, scope: str, name: str | None, period: str) -> dict:
    return next(
        x for x in report["lines"]
        if (x["scope"], x["name"], x["period"]) == (scope, name, period)
    )  # fmt: skip


def test_target_completion_by_month_quarter_and_year(week):  # noqa: F811
    assert week.api.as_("ada").put("/targets/2026", TARGET).status_code == 200
    report = week.report("targets", year=2026)
    november = line(report, "company", None, "2026-11")
    assert (november["target"], november["won"], november["completion"]) == (300_000, 45_000, 15.0)
    # west's 600,000 split as the company's: November holds a quarter of the year
    assert line(report, "team", "west", "2026-11")["target"] == 150_000
    assert line(report, "team", "west", "2026-11")["completion"] == 30.0
    assert line(report, "rep", "ryan", "2026-11") == {
        "scope": "rep", "name": "ryan", "period": "2026-11", "target": 75_000, "won": 0,
        "completion": 0.0,
    }  # fmt: skip
    year = line(report, "company", None, "2026")
    assert (year["target"], year["won"]) == (1_200_000, 45_000)
    october = line(report, "company", None, "2026-10")["target"]
    assert october == pytest.approx(900_000 / 11, abs=0.01)
    assert line(report, "company", None, "2026-Q4")["target"] == pytest.approx(
        300_000 + 2 * 900_000 / 11, abs=0.02
    )


def test_a_target_changed_later_leaves_the_earlier_report_as_it_was(week):  # noqa: F811
    api = week.api.as_("ada")
    api.put("/targets/2026", TARGET)
    first = week.report("targets", year=2026)
    moment = week.clock.now().isoformat()
    week.clock.advance(hours=1)
    api.put("/targets/2026", {**TARGET, "company": 2_400_000})
    assert line(week.report("targets", year=2026), "company", None, "2026")["target"] == 2_400_000
    then = week.report("targets", year=2026, as_of=moment)
    assert then["lines"] == first["lines"]
    assert api.get("/targets/2026").json()["version"] == 2


def test_a_manager_sets_only_their_teams_and_reps_targets(week):  # noqa: F811
    maria = week.api.as_("maria")
    assert maria.put("/targets/2026", {"by_rep": {"rita": 100_000}}).status_code == 404
    week.api.as_("ada").put("/targets/2026", TARGET)
    assert maria.put("/targets/2026", {"by_rep": {"rita": 100_000}}).status_code == 200
    target = week.api.as_("ada").get("/targets/2026").json()
    assert target["by_rep"] == {"ryan": 300_000, "rita": 100_000}
    refused = maria.put("/targets/2026", {"by_team": {"west": 1}})
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "by_team"
    assert maria.put("/targets/2026", {"company": 1}).status_code == 403
    assert week.api.as_("ryan").put("/targets/2026", {"company": 1}).status_code == 403


def test_each_role_sees_its_own_target_lines(week):  # noqa: F811
    week.api.as_("ada").put("/targets/2026", TARGET)
    assert {x["name"] for x in week.report("targets", "ryan", year=2026)["lines"]} == {"ryan"}
    managed = {(x["scope"], x["name"]) for x in week.report("targets", "maria", year=2026)["lines"]}
    assert managed == {("team", "east"), ("rep", "ryan")}


def test_bad_targets_are_refused_naming_the_field(week):  # noqa: F811
    api = week.api.as_("ada")
    for body, field in (
        ({"company": -1}, "company"),
        ({"company": 10, "by_month": {"2027-01": 5}}, "by_month"),
        ({"company": 10, "by_month": {"2026-01": 11}}, "by_month"),
        ({"by_team": {"east": 1}}, "company"),
    ):
        response = api.put("/targets/2026", body)
        assert response.status_code == 422, body
        assert field in [e["field"] for e in response.json()["errors"]], (body, response.json())


def test_a_reps_weekly_report(week):  # noqa: F811
    report = week.report("weekly", "ryan", week="2026-W48")
    # ryan took A (high) and D; called A, demoed OA; moved OA into needs, then proposal
    assert report == {
        "rep": "ryan", "week": "2026-W48", "new_leads": 2, "high_value_leads": 1,
        "follow_ups": {"call": 1, "demo": 1}, "needs_confirmed": 1, "proposals": 1,
        "won_count": 0, "won_amount": 0, "month": "2026-11", "month_target_completion": None,
        "next_week_follow_ups": [],
    }  # fmt: skip
    rita = week.report("weekly", "maria", rep="rita", week="2026-W48")
    assert (rita["new_leads"], rita["high_value_leads"], rita["proposals"]) == (1, 0, 1)
    assert rita["follow_ups"] == {"email": 1}


def test_the_weekly_report_lists_next_weeks_follow_ups_and_the_months_target(week):  # noqa: F811
    week.api.as_("ada").put("/targets/2026", TARGET)
    delta = week.leads["Delta"]  # claimed by ryan on Friday
    follow_up = {"method": "call", "summary": "intro",
                 "next_follow_up_at": "2026-12-01T10:00:00+08:00"}  # fmt: skip
    week.ok("ryan", f"/leads/{delta}/follow-ups", follow_up)
    report = week.report("weekly", "ryan", week="2026-W48")
    assert report["next_week_follow_ups"] == [{
        "kind": "lead", "id": delta, "name": "Delta",
        "next_follow_up_at": "2026-12-01T02:00:00+00:00",
    }]  # fmt: skip
    assert report["month_target_completion"] == 0.0  # 75,000 for ryan in November, none won


def test_who_may_read_whose_weekly_report(week):  # noqa: F811
    assert week.api.as_("ryan").get("/reports/weekly", rep="rita").status_code == 403
    assert week.api.as_("maria").get("/reports/weekly", rep="will").status_code == 403
    refused = week.api.as_("ada").get("/reports/weekly")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "rep"
    bad_week = week.api.as_("ada").get("/reports/weekly", rep="will", week="2026-53")
    assert bad_week.status_code == 422


def test_forecast_accuracy_over_http(week):  # noqa: F811
    november = week.report("forecast-accuracy", month="2026-11")
    # nothing was open on 1 November; OW's 45,000 was won in it
    assert (november["weighted_forecast"], november["won"], november["accuracy"]) == (
        0,
        45_000,
        None,
    )
    assert week.report("forecast-accuracy")["month"] == "2026-10"  # default: last month
    bad = week.api.as_("ada").get("/reports/forecast-accuracy", month="2026-13")
    assert bad.status_code == 422


@pytest.fixture
def november(week):  # noqa: F811
    """The week, the year's target, and ryan winning OA on Monday 30 November; the review is
    read on Wednesday 2 December."""
    assert week.api.as_("ada").put("/targets/2026", TARGET).status_code == 200
    week.clock.set(week.clock.now().replace(day=30, hour=10))
    week.ok("ryan", f"/opportunities/{week.deals['OA']}/win", {"amount": 300_000})
    week.clock.set(week.clock.now().replace(month=12, day=2, hour=9))
    return week


def test_the_monthly_review_of_november(november):
    review = november.report("monthly-review", month="2026-11")
    assert review["as_of"] == "2026-12-01T00:00:00+00:00"
    assert review["paths_since"] == "2026-09-01T00:00:00+00:00"
    # A (web) was called within its SLA, converted and won; the others went no further
    assert review["paths"][0] == {
        "source": "web", "first_contact_within_sla": True, "leads": 1, "converted": 1,
        "won": 1, "conversion_rate": 1.0, "win_rate": 1.0,
    }  # fmt: skip
    others = [(p["source"], p["first_contact_within_sla"], p["won"]) for p in review["paths"][1:]]
    assert others == [("referral", None, 0), ("sem", None, 0), ("trade_show", True, 0),
                      ("web", None, 0)]  # fmt: skip
    assert review["most_lost_at"] == "proposal"
    assert review["lost_by_stage"] == [{"group": "proposal", "count": 1, "amount": 120_000}]
    # east: ryan 300,000 over its two reps (ryan, rita); west: will alone
    assert review["reps"] == [
        {"rep": "ryan", "team": "east", "won_count": 1, "won_amount": 300_000,
         "team_average": 150_000, "against_average": 200.0},
        {"rep": "will", "team": "west", "won_count": 1, "won_amount": 45_000,
         "team_average": 45_000, "against_average": 100.0},
    ]  # fmt: skip
    company = next(x for x in review["targets"] if x["scope"] == "company")
    assert (company["period"], company["won"], company["completion"]) == ("2026-11", 345_000, 115.0)


def test_the_monthly_review_as_it_stood_on_friday_and_by_role(november):
    friday = november.report("monthly-review", month="2026-11", as_of="2026-11-27T18:00:00Z")
    assert [r["rep"] for r in friday["reps"]] == ["will"]
    assert friday["paths"][0]["source"] == "web" and friday["paths"][0]["won"] == 0
    maria = november.report("monthly-review", "maria", month="2026-11")
    assert [r["rep"] for r in maria["reps"]] == ["ryan"]
    assert {x["name"] for x in maria["targets"]} == {"east", "ryan"}  # rita: no target, no win
    ryan = november.report("monthly-review", "ryan", month="2026-11")
    assert [(r["rep"], r["team_average"]) for r in ryan["reps"]] == [("ryan", 150_000)]
    assert november.report("monthly-review")["month"] == "2026-11"  # default: last month
    bad = november.api.as_("ada").get("/reports/monthly-review", month="November")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "month"


def test_the_monthly_review_keeps_the_months_end_when_its_leads_move_on(november):
    """Delta (web, captured in November, not yet called at the month's end) is called, late,
    and converted on 2 December: November's review still shows it as it stood on the 1st."""
    before = november.report("monthly-review", month="2026-11")
    delta = november.leads["Delta"]
    november.ok("ryan", f"/leads/{delta}/follow-ups", {"method": "call", "summary": "late call"})
    november.ok("ryan", f"/leads/{delta}/qualify")
    deal = {"name": "Delta CRM", "amount": 10_000, "expected_close": "2027-02-01"}
    november.ok("ryan", f"/leads/{delta}/convert", deal, 201)
    assert november.report("monthly-review", month="2026-11") == before
    assert ("web", None, 1, 0) in [
        (p["source"], p["first_contact_within_sla"], p["leads"], p["converted"])
        for p in before["paths"]
    ]
    # the same leads as they stand now: Delta called outside its SLA, and converted
    now = november.report("lead-conversion", since="2026-11-01T00:00:00Z",
                          until="2026-12-01T00:00:00Z")  # fmt: skip
    web = next(step for step in now["sources"] if step["source"] == "web")
    assert (web["captured"], web["contacted_within_sla"], web["converted"]) == (2, 1, 2)


def test_the_monthly_review_answers_csv_of_paths_and_reps(november):
    response = november.api.as_("ada").client.get(
        "/reports/monthly-review",
        params={"month": "2026-11"},
        headers={**november.api.as_("ada").headers, "Accept": "text/csv"},
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["section"] for r in rows] == ["path"] * 5 + ["rep"] * 2
    assert rows[-1]["rep"] == "will" and rows[-1]["against_average"] == "100.0"
