"""A rep leaves, taking nothing: the token stops working at once, every lead they held is back
in the pool (`rep_left`), their open deals go to their manager or to a rep named for them, and
their history and the reports of the past stay exactly as they were."""

from __future__ import annotations

import pytest

from api.cli import main
from store.log_reader import all_envelopes
from tests.builders import capture, open_deal

pytestmark = pytest.mark.e2e


@pytest.fixture
def ryans_book(container, tokens, clock, ryan, maria):
    """ryan holds 30 leads (assigned by maria) and owns 5 open deals and one won."""
    app = container.app
    leads = []
    for n in range(30):
        lead = capture(app, maria(), company=f"Company {n}")
        app.assign_lead(maria(), lead, rep="ryan")
        leads.append(lead)
    deals = [open_deal(app, ryan(), amount=10_000 * (n + 1)) for n in range(5)]
    won = open_deal(app, ryan(), amount=7_000)
    app.win_opportunity(ryan(), won)
    container.after_command()
    clock.advance(hours=1)
    return leads, deals


def test_a_rep_leaving_with_30_leads_and_5_deals_takes_nothing(api, container, clock, ryans_book):
    leads, deals = ryans_book
    before = clock.now()
    funnel_before = api.as_("ada").get("/reports/funnel").json()
    period = {"since": "2026-11-01T00:00:00Z", "until": "2026-12-01T00:00:00Z"}
    won_before = api.as_("ada").get("/reports/closed-won", **period).json()
    clock.advance(minutes=5)
    answer = api.as_("ada").post("/users/ryan/deactivate")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert sorted(body["leads_returned"]) == sorted(str(x) for x in leads)
    assert body["opportunities_to"] == "maria"
    assert sorted(body["opportunities_reassigned"]) == sorted(str(x) for x in deals)

    assert api.as_("ryan").get("/pool").status_code == 401
    for lead in leads:
        assert container.app.get_lead(lead).holder is None
    returns = [e for e in all_envelopes(container.app) if e["type"] == "LeadReturnedToPool"]
    assert {(e["data"]["rep"], e["data"]["reason"], e["actor"]) for e in returns} == {
        ("ryan", "rep_left", "ada")
    }
    moves = [e for e in all_envelopes(container.app) if e["type"] == "OpportunityReassigned"]
    assert {(e["data"]["from_rep"], e["data"]["to_rep"], e["data"]["reason"]) for e in moves} == {
        ("ryan", "maria", "rep_left")
    }
    assert api.as_("ada").get("/pool", limit=1000).json()["total"] == 30
    # the past is untouched: the funnel as it stood, and ryan's win, are as before
    assert api.as_("ada").get("/reports/funnel", as_of=before.isoformat()).json() == funnel_before
    assert api.as_("ada").get("/reports/closed-won", **period).json() == won_before
    listed = {u["name"]: u["active"] for u in api.as_("ada").get("/users").json()["users"]}
    assert listed["ryan"] is False and listed["rita"] is True


def test_the_open_deals_go_to_a_rep_named_for_them(api, ryans_book):
    _, deals = ryans_book
    answer = api.as_("ada").post("/users/ryan/deactivate", {"opportunities_to": "rita"})
    assert answer.json()["opportunities_to"] == "rita"
    owners = {api.as_("ada").get(f"/opportunities/{d}").json()["owner"] for d in deals}
    assert owners == {"rita"}


def test_a_deactivated_rep_takes_no_more_work_and_reactivation_undoes_only_access(
    api, container, ryans_book, maria
):
    api.as_("ada").post("/users/ryan/deactivate")
    lead = capture(container.app, maria())
    refused = api.as_("maria").post(f"/leads/{lead}/assign", {"rep": "ryan"})
    assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == "rep"
    assert api.as_("ada").post("/users/ryan/reactivate").json() == {"name": "ryan", "active": True}
    assert api.as_("ryan").get("/pool").status_code == 200
    assert container.app.leads_held_by("ryan") == []  # what was handed over stays handed over


def test_only_an_admin_deactivates_and_bad_names_are_clear(api, ryans_book):
    assert api.as_("maria").post("/users/ryan/deactivate").status_code == 403
    assert api.as_("ada").post("/users/nobody/deactivate").status_code == 404
    assert api.as_("ada").post("/users/ada/deactivate").status_code == 409
    unknown = api.as_("ada").post("/users/ryan/deactivate", {"opportunities_to": "ghost"})
    assert unknown.status_code == 409
    assert unknown.json()["errors"][0]["field"] == "opportunities_to"
    assert api.as_("ryan").get("/pool").status_code == 200  # refused: nothing was done


def test_users_deactivate_on_the_command_line(container, ryans_book, embedded_env, capsys):
    embedded_env(container.settings.data_dir)  # the command opens the same store
    assert main(["users", "deactivate", "ryan", "--opportunities-to", "rita", "--by", "ada"]) == 0
    out = capsys.readouterr().out
    assert "30 leads back in the pool" in out and "5 open opportunities now owned by rita" in out
    assert main(["users", "list"]) == 0
    assert "ryan\trep\teast\tinactive" in capsys.readouterr().out
