"""The right to erasure on an immutable log: a lead's contact details are stored sealed with a
key of the lead's own; erasing the contact deletes the key and records `LeadContactErased`.
The events, their audit chain and every report stay as they were; every view, export and
published envelope shows the details as erased."""

from __future__ import annotations

import json
from uuid import UUID

import pytest

from api.bootstrap import build
from api.cli import main
from api.settings import Settings
from domain.contact_vault import ERASED
from domain.context import CommandContext
from domain.followups import FollowUp
from domain.leads import Lead
from store.backup import export_lines, import_lines
from store.event_store import open_pipeline
from store.log_reader import all_envelopes
from tests.builders import capture, convert_and_move

pytestmark = pytest.mark.e2e

CONTACT = {"name": "Li Lei", "title": "Chief Buyer", "phone": "13800001234", "email": "li@acme.cn"}
SECRETS = (b"Li Lei", b"Chief Buyer", b"13800001234", b"li@acme.cn")


def opened(vault, lead_id, field, value):
    """One field of a lead in clear, as a view asks for it (from the key table)."""
    return vault.reveal(lead_id, {field: value}, fresh=True)[field]


@pytest.fixture
def held_lead(api, container, clock, ryan):
    """A lead ryan captured with a full contact, claimed, followed up and converted to a deal."""
    answer = api.as_("ryan").post("/leads", json={"source": "web", "company": "ACME",
                                                  "contact": CONTACT})  # fmt: skip
    assert answer.status_code == 201, answer.text
    lead = UUID(answer.json()["id"])
    app = container.app
    app.claim_lead(ryan(), lead)
    clock.advance(hours=2)
    app.follow_up_lead(ryan(), lead, FollowUp(method="call", summary="intro"))
    clock.advance(hours=2)
    convert_and_move(app, ryan(), lead)
    container.after_command()
    clock.advance(hours=1)
    return lead


def test_contact_details_are_stored_sealed_and_shown_in_clear_to_the_holder(
    api, container, held_lead
):
    lead = api.as_("ryan").get(f"/leads/{held_lead}").json()
    assert lead["contact"] == CONTACT
    assert lead["contact_erased"] is False
    captured = api.as_("ryan").get(f"/leads/{held_lead}/history").json()["events"][0]
    assert captured["data"]["contact"] == CONTACT
    stored = container.app.recorder.select_events(held_lead, limit=1)[0].state
    for secret in SECRETS:
        assert secret not in stored
    assert b"sealed:v1:" in stored


def test_erasing_a_contact_keeps_the_events_the_chain_and_every_report(
    api, container, clock, held_lead
):
    period = {"since": "2026-01-01T00:00:00Z"}
    reports = ("funnel", "lead-conversion", "win-rate", "closed-won")
    before = {r: api.as_("ada").get(f"/reports/{r}", **period).json() for r in reports}
    moment_before = clock.now()
    events_before = len(list(all_envelopes(container.app)))
    clock.advance(minutes=5)

    answer = api.as_("ada").post(f"/leads/{held_lead}/erase-contact")
    assert answer.status_code == 200, answer.text
    version = answer.json()["version"]

    lead = api.as_("ryan").get(f"/leads/{held_lead}").json()
    assert lead["contact"] == dict.fromkeys(CONTACT, ERASED)
    assert lead["contact_erased"] is True and lead["version"] == version
    past = api.as_("ryan").get(f"/leads/{held_lead}", as_of=moment_before.isoformat()).json()
    assert past["contact"] == dict.fromkeys(CONTACT, ERASED)
    history = api.as_("ryan").get(f"/leads/{held_lead}/history").json()["events"]
    assert history[0]["data"]["contact"] == dict.fromkeys(CONTACT, ERASED)
    assert history[-1]["type"] == "LeadContactErased"
    assert history[-1]["data"] == {"fields": ["name", "title", "phone", "email"]}
    masked = api.as_("will").get(f"/leads/{held_lead}/history")
    assert masked.status_code == 403  # another team's rep sees nothing of it at all

    assert container.audit.verify() is None  # the chain covers what is stored, unchanged
    assert len(list(all_envelopes(container.app))) == events_before + 1
    after = {r: api.as_("ada").get(f"/reports/{r}", **period).json() for r in reports}
    for report in reports:
        assert {k: v for k, v in after[report].items() if k != "as_of"} == {
            k: v for k, v in before[report].items() if k != "as_of"
        }
    rows = container.db.read(
        "SELECT contact_name, contact_title, contact_phone, contact_email FROM rm_lead_history "
        "WHERE lead_id = ?", (str(held_lead),),
    )  # fmt: skip
    assert rows and all(row == (ERASED,) * 4 for row in rows)
    assert container.app.vault.exported_key(held_lead) == (None, True)


def test_only_an_admin_erases_a_contact_and_asking_again_changes_nothing(api, container, held_lead):
    for user in ("ryan", "maria"):
        assert api.as_(user).post(f"/leads/{held_lead}/erase-contact").status_code == 403
    unknown = api.as_("ada").post("/leads/00000000-0000-4000-8000-000000000000/erase-contact")
    assert unknown.status_code == 404
    first = api.as_("ada").post(f"/leads/{held_lead}/erase-contact").json()
    again = api.as_("ada").post(f"/leads/{held_lead}/erase-contact")
    assert again.status_code == 200
    assert again.json()["version"] == first["version"]
    assert container.app.get_lead(held_lead).version == first["version"]


def test_an_erased_contact_cannot_be_corrected_back_in(api, container, held_lead):
    api.as_("ada").post(f"/leads/{held_lead}/erase-contact")
    answer = api.as_("ada").post(
        f"/leads/{held_lead}/corrections", json={"changes": {"contact.email": "li@acme.cn"}}
    )
    assert answer.status_code == 409
    assert "erased" in answer.json()["detail"]


def test_a_corrected_contact_is_sealed_too(api, container, held_lead):
    answer = api.as_("ryan").post(
        f"/leads/{held_lead}/corrections", json={"changes": {"contact.email": "lei@acme.cn"}}
    )
    assert answer.status_code == 200, answer.text
    assert api.as_("ryan").get(f"/leads/{held_lead}").json()["contact"]["email"] == "lei@acme.cn"
    stored = container.app.recorder.select_events(held_lead, desc=True, limit=1)[0].state
    assert b"lei@acme.cn" not in stored
    history = api.as_("ryan").get(f"/leads/{held_lead}/history").json()["events"]
    assert history[-1]["data"]["changes"] == {"contact.email": "lei@acme.cn"}
    published = container.publish(
        [e for e in all_envelopes(container.app) if e["type"] == "LeadDetailsCorrected"][-1]
    )
    assert published["data"]["changes"]["contact.email"] == "l***@acme.cn"


def test_published_envelopes_mask_every_contact_field_and_carry_nothing_once_erased(
    container, held_lead
):
    captured = next(e for e in all_envelopes(container.app) if e["type"] == "LeadCaptured")
    contact = container.publish(captured)["data"]["contact"]
    assert contact["title"] == "C***" and len(contact["title_hash"]) == 64
    assert contact["email"] == "l***@acme.cn"
    container.app.vault.erase(held_lead, "2026-11-30T00:00:00+00:00")
    contact = container.publish(captured)["data"]["contact"]
    assert contact == dict.fromkeys(
        ("name", "name_hash", "title", "title_hash", "phone", "phone_hash", "email",
         "email_hash"),
    )  # fmt: skip


def test_a_lead_captured_before_sealing_is_erased_from_every_view(api, container, clock, maria):
    """Stores from before sealing keep their events as they are: the contact stays in clear
    in the stored event, but once erased no view, history, envelope or read model shows it."""
    old = open_pipeline()  # an application of that time: it sealed nothing
    lead = capture(old, maria(), contact=CONTACT)
    assert import_lines(container.app, export_lines(old)).events == 1
    container.after_command()
    assert api.as_("maria").get(f"/leads/{lead}").json()["contact"]["name"] == "L***"  # pool
    assert container.app.get_lead(lead).contact["name"] == "Li Lei"  # in clear, as stored

    assert api.as_("ada").post(f"/leads/{lead}/erase-contact").status_code == 200
    assert api.as_("maria").get(f"/leads/{lead}").json()["contact"] == dict.fromkeys(
        CONTACT, ERASED
    )
    masked = api.as_("maria").get(f"/leads/{lead}/history").json()["events"][0]["data"]
    assert masked["contact"]["name"] is None and masked["contact"]["email_hash"] is None
    history = container.app.history(Lead, lead).envelopes  # what the holder would be shown
    assert history[0]["data"]["contact"] == dict.fromkeys(CONTACT, ERASED)
    pool = api.as_("maria").get("/pool").json()["leads"]
    assert [p["contact"] for p in pool if p["id"] == str(lead)] == [dict.fromkeys(CONTACT, ERASED)]
    assert container.audit.verify() is None


def test_an_export_carries_each_leads_key_so_a_restore_opens_what_it_held(
    api, container, clock, held_lead, tmp_path, maria
):
    erased = capture(container.app, maria(), company="Gone Ltd", contact=CONTACT)
    container.app.erase_contact(maria(), erased)
    lines = list(export_lines(container.app))
    records = [json.loads(line) for line in lines]
    by_lead = {r["aggregate_id"]: r for r in records if r["type"] == "LeadCaptured"}
    assert "contact_key" in by_lead[str(held_lead)]
    assert by_lead[str(erased)].get("contact_erased") is True
    assert "contact_key" not in by_lead[str(erased)]
    for secret in SECRETS:
        assert secret.decode() not in "\n".join(lines)

    restored = build(Settings(data_dir=tmp_path / "restored", database_url=None,
                              kafka_bootstrap=None), clock=clock)  # fmt: skip
    try:
        import_lines(restored.app, lines)
        assert restored.audit.verify() is None
        assert dict(restored.app.get_lead(held_lead).contact) != CONTACT  # sealed in the state
        view = opened(restored.app.vault, held_lead, "email", restored.app.get_lead(
            held_lead).contact["email"])  # fmt: skip
        assert view == "li@acme.cn"
        gone = restored.app.get_lead(erased).contact["email"]
        assert opened(restored.app.vault, erased, "email", gone) == ERASED
    finally:
        restored.close()


def test_an_import_refuses_a_key_that_is_not_one(container, maria):
    old = open_pipeline()
    capture(old, maria(), contact=CONTACT)
    record = json.loads(next(iter(export_lines(old))))
    record["contact_key"] = "not a key"
    with pytest.raises(ValueError, match="contact_key"):
        import_lines(container.app, [json.dumps(record)])
    assert container.app.last_position() == 0


def test_the_command_line_erases_a_contact(container, embedded_env, capsys, clock):
    embedded_env(container.settings.data_dir)
    lead = capture(container.app, CommandContext("maria", clock.now()), contact=CONTACT)
    assert main(["erase-contact", "not-a-uuid"]) == 2
    assert main(["erase-contact", "00000000-0000-4000-8000-000000000000"]) == 1
    assert main(["erase-contact", str(lead), "--by", "dpo"]) == 0
    assert "erased" in capsys.readouterr().out
    assert main(["history", str(lead), "--show-contact"]) == 0
    out = capsys.readouterr().out
    assert "Li Lei" not in out and ERASED in out and "LeadContactErased" in out
    assert main(["audit", "verify"]) == 0


def test_an_erasure_in_one_process_reaches_the_views_of_another_at_once(
    container, held_lead, clock
):
    """Another process (a second API worker) had opened the lead's contact; after the erasure
    its views ask the key table and find the key gone."""
    other = build(container.settings, clock=clock)
    try:
        captured = next(e for e in all_envelopes(other.app) if e["type"] == "LeadCaptured")
        assert other.publish(captured)["data"]["contact"]["name"] == "L***"
        container.app.erase_contact(CommandContext("ada", clock.now()), held_lead)
        lead = other.app.get_lead(held_lead, version=1)
        assert opened(other.app.vault, held_lead, "name", lead.contact["name"]) == ERASED
    finally:
        other.close()


def test_a_sealed_value_opens_only_for_its_own_lead_and_field(container, held_lead, maria):
    other = capture(container.app, maria(), contact=CONTACT)
    sealed = container.app.get_lead(held_lead).contact["email"]
    vault = container.app.vault
    assert opened(vault, held_lead, "email", sealed) == "li@acme.cn"
    assert opened(vault, other, "email", sealed) == ERASED
    assert opened(vault, held_lead, "phone", sealed) == ERASED
