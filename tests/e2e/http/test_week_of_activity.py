"""A realistic sales week driven through HTTP; the three reports checked number by number."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import MONDAY

pytestmark = pytest.mark.e2e

DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


class Week:
    """Drives the week; each step sets the clock, then calls the API as one user."""

    def __init__(self, api, clock) -> None:
        self.api = api
        self.clock = clock
        self.snapshots: dict[str, dict] = {}
        self.leads: dict[str, str] = {}  # company: lead id
        self.deals: dict[str, str] = {}  # OA, OB, OW: opportunity id

    def at(self, day: str, hhmm: str) -> None:
        hours, minutes = map(int, hhmm.split(":"))
        self.clock.set(
            MONDAY.replace(hour=0) + timedelta(days=DAYS[day], hours=hours, minutes=minutes)
        )

    def ok(self, user: str, path: str, body: dict | None = None, status: int = 200) -> dict:
        response = self.api.as_(user).post(path, body)
        assert response.status_code == status, response.text
        return response.json()

    def capture(self, user: str, company: str, source: str) -> str:
        body = {"source": source, "company": company, "contact": {"name": "Contact " + company}}
        self.leads[company] = self.ok(user, "/leads", body, 201)["id"]
        return self.leads[company]

    def score(self, user: str, lead: str, budget: int, authority: str, clear: bool, days: int):
        body = {
            "budget": budget,
            "authority": authority,
            "need_clear": clear,
            "timeline_days": days,
        }
        return self.ok(user, f"/leads/{lead}/score", body)

    def funnel(self, user: str = "ada", **params) -> dict:
        return self.report("funnel", user, **params)

    def report(self, name: str, user: str = "ada", **params) -> dict:
        response = self.api.as_(user).get(f"/reports/{name}", **params)
        assert response.status_code == 200, response.text
        return response.json()

    def snapshot(self, moment: str) -> None:
        """What a manager saw at this moment, to compare with `as_of` later."""
        self.snapshots[moment] = {
            "at": self.clock.now().isoformat(),
            "funnel": self.funnel(),
            "stage-conversion": self.report("stage-conversion"),
            "rep-activity": self.report("rep-activity", week="2026-W48"),
            "team-funnel": self.funnel("maria"),
        }


@pytest.fixture
def week(api, clock):
    w = Week(api, clock)
    w.at("mon", "09:00")
    a = w.capture("maria", "Alpha", "web")
    b = w.capture("maria", "Beta", "trade_show")
    c = w.capture("maria", "Gamma", "referral")
    d = w.capture("maria", "Delta", "web")
    e = w.capture("wes", "Epsilon", "sem")
    w.at("mon", "09:05")
    assert w.score("maria", a, 200_000, "director", True, 14)["tier"] == "high"
    assert w.score("maria", b, 0, "manager", True, 60)["tier"] == "medium"
    assert w.score("maria", c, 0, "staff", False, 90)["tier"] == "low"
    w.at("mon", "10:00")
    w.ok("ryan", f"/leads/{a}/claim")
    w.ok("maria", f"/leads/{b}/assign", {"rep": "rita"})
    w.ok("will", f"/leads/{e}/claim")
    w.at("mon", "15:00")
    w.ok("ryan", f"/leads/{a}/follow-ups", {"method": "call", "summary": "discovery call"})
    w.at("tue", "10:00")
    w.ok("rita", f"/leads/{b}/follow-ups", {"method": "email", "summary": "sent brochure"})
    w.at("tue", "11:00")
    w.ok("ryan", f"/leads/{a}/qualify")
    conversion = {"name": "Alpha ERP", "amount": 300_000, "expected_close": "2027-01-15"}
    oa = w.ok("ryan", f"/leads/{a}/convert", conversion, 201)["opportunity_id"]
    w.at("tue", "12:00")
    w.ok("ryan", f"/opportunities/{oa}/stage", {"stage": "needs"})
    w.at("tue", "23:59")
    w.snapshot("tue-night")
    w.at("wed", "09:00")
    deal = {"name": "Initrode CRM", "customer": "Initrode", "amount": 120_000,
            "expected_close": "2026-12-20"}  # fmt: skip
    ob = w.ok("rita", "/opportunities", deal, 201)["id"]
    w.at("wed", "09:30")
    w.ok("rita", f"/opportunities/{ob}/stage", {"stage": "proposal"})
    w.at("wed", "10:00")
    w.ok("will", f"/leads/{e}/follow-ups", {"method": "call", "summary": "intro"})
    west_deal = {"name": "Eps", "customer": "Epsilon", "amount": 50_000,
                 "expected_close": "2026-12-31"}  # fmt: skip
    ow = w.ok("will", "/opportunities", west_deal, 201)["id"]
    w.at("wed", "11:00")
    w.ok("will", f"/opportunities/{ow}/stage", {"stage": "needs"})
    w.at("thu", "09:00")
    w.ok("ryan", f"/opportunities/{oa}/stage", {"stage": "proposal"})
    w.ok("ryan", f"/opportunities/{oa}/follow-ups", {"method": "demo", "summary": "demo"})
    w.at("thu", "14:00")
    w.ok("rita", f"/opportunities/{ob}/lose", {"reason": "price", "competitor": "Initech"})
    w.snapshot("thu-afternoon")
    w.at("fri", "16:00")
    w.ok("ryan", f"/opportunities/{oa}/stage", {"stage": "negotiation"})
    w.ok("will", f"/opportunities/{ow}/win", {"amount": 45_000})
    w.at("fri", "17:00")
    w.ok("ryan", f"/leads/{d}/claim")
    w.deals.update(OA=oa, OB=ob, OW=ow)
    return w


def test_funnel_for_the_whole_company(week):
    report = week.funnel()
    assert report["stages"] == [
        {"stage": "contact", "count": 0, "amount": 0, "weighted_amount": 0},
        {"stage": "needs", "count": 0, "amount": 0, "weighted_amount": 0},
        {"stage": "proposal", "count": 0, "amount": 0, "weighted_amount": 0},
        {"stage": "negotiation", "count": 1, "amount": 300_000, "weighted_amount": 225_000},
    ]
    assert report["leads"] == {"captured": 5, "contacted": 3, "qualified": 1, "converted": 1}


def test_a_manager_sees_the_funnel_of_their_own_team(week):
    report = week.funnel("maria")
    assert sum(s["count"] for s in report["stages"]) == 1
    # A (ryan, converted), B (rita, contacted), D (ryan, captured); C sits in the pool.
    assert report["leads"] == {"captured": 3, "contacted": 2, "qualified": 1, "converted": 1}
    west = week.funnel("wes")
    assert sum(s["count"] for s in west["stages"]) == 0
    assert west["leads"] == {"captured": 1, "contacted": 1, "qualified": 0, "converted": 0}


def test_every_report_as_of_an_earlier_moment_equals_what_was_shown_then(week):
    for moment in ("tue-night", "thu-afternoon"):
        live = week.snapshots[moment]
        at = live["at"]
        assert week.funnel(as_of=at) == live["funnel"]
        assert (
            week.report("stage-conversion", as_of=at)["stages"]
            == live["stage-conversion"]["stages"]
        )
        assert week.report("rep-activity", week="2026-W48", as_of=at) == live["rep-activity"]
        assert week.funnel("maria", as_of=at) == live["team-funnel"]
    tuesday = week.snapshots["tue-night"]["funnel"]
    assert tuesday["stages"][1] == {
        "stage": "needs",
        "count": 1,
        "amount": 300_000,
        "weighted_amount": 75_000,
    }
    assert tuesday["leads"] == {"captured": 5, "contacted": 2, "qualified": 1, "converted": 1}


def test_stage_conversion_for_the_week(week):
    response = week.api.as_("ada").get("/reports/stage-conversion")
    assert response.status_code == 200
    assert response.json()["stages"] == [
        # OA 1 h, OB 0.5 h, OW 1 h in contact; all three moved on
        {"stage": "contact", "entered": 3, "advanced": 3, "lost": 0, "conversion": 1.0,
         "mean_days": 0.03, "median_days": 0.04},
        # OA 45 h then proposal, OW 53 h then won
        {"stage": "needs", "entered": 2, "advanced": 2, "lost": 0, "conversion": 1.0,
         "mean_days": 2.04, "median_days": 2.04},
        # OA 31 h then negotiation, OB 28.5 h then lost
        {"stage": "proposal", "entered": 2, "advanced": 1, "lost": 1, "conversion": 0.5,
         "mean_days": 1.24, "median_days": 1.24},
        {"stage": "negotiation", "entered": 1, "advanced": 0, "lost": 0, "conversion": 0.0,
         "mean_days": None, "median_days": None},
    ]  # fmt: skip


def test_stage_conversion_for_a_period(week):
    since = (MONDAY + timedelta(days=2)).replace(hour=0).isoformat()  # from Wednesday
    response = week.api.as_("ada").get("/reports/stage-conversion", since=since)
    entered = {row["stage"]: row["entered"] for row in response.json()["stages"]}
    assert entered == {"contact": 2, "needs": 1, "proposal": 2, "negotiation": 1}


def test_rep_activity_for_the_week(week):
    response = week.api.as_("ada").get("/reports/rep-activity", week="2026-W48")
    assert response.status_code == 200
    rows = {row["rep"]: row for row in response.json()["rows"]}
    assert rows["ryan"] == {
        "rep": "ryan",
        "leads_assigned": 0,
        "leads_claimed": 2,
        "follow_ups": {"call": 1, "demo": 1},
        "touched": 3,
        "first_contacts": 1,
        "first_contact_within_sla": 100.0,
        "sla_breaches": 0,
        "opportunities_opened": 1,
        "stage_advances": 3,
        "won_count": 0,
        "won_amount": 0,
        "lost_count": 0,
        "last_activity_at": (MONDAY + timedelta(days=4, hours=8)).isoformat(),
    }
    assert rows["rita"] == {
        "rep": "rita",
        "leads_assigned": 1,
        "leads_claimed": 0,
        "follow_ups": {"email": 1},
        "touched": 2,
        "first_contacts": 1,
        "first_contact_within_sla": 100.0,
        "sla_breaches": 0,
        "opportunities_opened": 1,
        "stage_advances": 1,
        "won_count": 0,
        "won_amount": 0,
        "lost_count": 1,
        "last_activity_at": (MONDAY + timedelta(days=3, hours=5)).isoformat(),
    }
    will = rows["will"]
    assert (will["leads_claimed"], will["follow_ups"], will["touched"]) == (1, {"call": 1}, 2)
    assert (will["first_contacts"], will["first_contact_within_sla"]) == (1, None)
    assert (will["stage_advances"], will["won_count"], will["won_amount"]) == (1, 1, 45_000)
    assert rows["maria"]["touched"] == 4
    assert set(rows) == {"ryan", "rita", "will", "maria", "wes"}


def test_rep_activity_is_scoped_by_role(week):
    manager = week.api.as_("maria").get("/reports/rep-activity", week="2026-W48").json()
    assert [r["rep"] for r in manager["rows"]] == ["maria", "rita", "ryan"]
    rep = week.api.as_("ryan").get("/reports/rep-activity", week="2026-W48").json()
    assert [r["rep"] for r in rep["rows"]] == ["ryan"]
    refused = week.api.as_("ryan").get("/reports/rep-activity", week="2026-W48", rep="rita")
    assert refused.status_code == 403


def test_the_pool_shows_unheld_leads_masked(week):
    pool = week.api.as_("ryan").get("/pool").json()["leads"]
    assert [lead["company"] for lead in pool] == ["Gamma"]
    assert pool[0]["contact"]["name"] == "C***"
    assert pool[0]["tier"] == "low"


def test_a_pipeline_redefined_later_does_not_change_an_earlier_report(week):
    before = week.snapshots["thu-afternoon"]
    week.at("fri", "18:00")
    stages = [
        {"key": "contact", "name": "Contact", "probability": 0.2},
        {"key": "needs", "name": "Needs", "probability": 0.4},
        {"key": "proposal", "name": "Proposal", "probability": 0.6},
        {"key": "negotiation", "name": "Negotiation", "probability": 0.9},
    ]
    assert week.api.as_("ada").put("/pipelines/general", {"stages": stages}).status_code == 200
    now = week.funnel()
    assert now["stages"][3]["weighted_amount"] == 270_000  # 300,000 × 0.9 from now on
    assert week.funnel(as_of=before["at"]) == before["funnel"]
    friday_afternoon = week.funnel(as_of=(MONDAY + timedelta(days=4, hours=8)).isoformat())
    assert friday_afternoon["stages"][3]["weighted_amount"] == 225_000  # × 0.75 then
