"""Tamper evidence on the embedded SQLite store: the events table refuses changes, and an
event edited, removed or moved behind its back is found by `salesledger audit verify`."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from decimal import Decimal

import pytest

from api.bootstrap import build
from api.cli import main
from api.settings import Settings
from domain.context import CommandContext
from store.audit import AuditTrail
from store.database import Database
from store.log_reader import LogReader
from tests.builders import capture
from tests.conftest import FakeClock

pytestmark = pytest.mark.e2e


@pytest.fixture
def store(tmp_path, embedded_env):
    """A small history, sealed; yields a raw connection to the events file."""
    data = embedded_env(tmp_path / "data")
    clock = FakeClock()
    container = build(Settings(data_dir=data), clock=clock)
    app = container.app
    ctx = CommandContext("ryan", clock.now())
    lead = capture(app, ctx)
    app.claim_lead(ctx, lead)
    opp = app.open_opportunity(
        ctx, name="Deal", customer="C", amount=Decimal(1000), expected_close=date(2027, 1, 1)
    ).id
    app.move_opportunity(ctx, opp, stage="needs")
    app.move_opportunity(ctx, opp, stage="proposal")
    container.after_command()  # delivers, and seals the log chain
    container.close()
    connection = sqlite3.connect(data / "events.sqlite")
    yield connection, lead, opp
    connection.close()


def behind_the_triggers(connection: sqlite3.Connection, statement: str, params=()) -> None:
    """What someone with file access could do: drop the guards, change the rows."""
    connection.execute("DROP TRIGGER IF EXISTS events_refuse_update")
    connection.execute("DROP TRIGGER IF EXISTS events_refuse_delete")
    connection.execute(statement, params)
    connection.commit()


def test_an_untouched_log_verifies(store, capsys):
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


def test_the_events_table_refuses_update_and_delete(store):
    connection, _, _ = store
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        connection.execute("UPDATE stored_events SET state = x'00'")
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        connection.execute("DELETE FROM stored_events")


def test_an_edited_event_is_found(store, capsys):
    connection, _, opp = store
    (state,) = connection.execute(
        "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = 1",
        (opp.hex,),
    ).fetchone()
    edited = json.loads(state)
    edited["amount"] = {"_type_": "decimal_str", "_data_": "9999999"}
    behind_the_triggers(
        connection,
        "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = 1",
        (json.dumps(edited).encode(), opp.hex),
    )
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"aggregate {opp} version 1" in out and "altered" in out


def test_a_removed_event_is_found(store, capsys):
    connection, _, opp = store
    behind_the_triggers(
        connection,
        "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = 2",
        (opp.hex,),
    )
    assert main(["audit", "verify"]) == 1
    assert "expected version 2" in capsys.readouterr().out


def test_reordered_events_are_found(store, capsys):
    connection, _, opp = store
    swap = (
        "UPDATE stored_events SET originator_version = ? "
        "WHERE originator_id = ? AND originator_version = ?"
    )
    for new, old in ((100, 2), (2, 3), (3, 100)):  # versions 2 and 3 trade places
        behind_the_triggers(connection, swap, (new, opp.hex, old))
    assert main(["audit", "verify"]) == 1
    assert "TAMPERED" in capsys.readouterr().out


def test_removing_the_last_events_of_the_log_is_found_by_the_seal(store, capsys):
    connection, _, opp = store
    behind_the_triggers(
        connection,
        "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = 3",
        (opp.hex,),
    )
    assert main(["audit", "verify"]) == 1
    assert "sealed" in capsys.readouterr().out


def test_sealing_what_a_consumer_just_read_gives_the_chain_a_full_read_gives(
    container, clock, tmp_path
):
    app = container.app
    for _ in range(3):
        app.claim_lead(
            CommandContext("ryan", clock.now()), capture(app, CommandContext("ryan", clock.now()))
        )
    entries = LogReader(app).entries(0)
    read_again = AuditTrail(app, Database.sqlite(str(tmp_path / "a.sqlite")))
    from_entries = AuditTrail(app, Database.sqlite(str(tmp_path / "b.sqlite")))
    middle = len(entries) // 2
    read_again.seal()
    from_entries.seal_read(0, [(e.position, e.chain) for e in entries[:middle]])
    from_entries.seal_read(
        entries[middle - 1].position, [(e.position, e.chain) for e in entries[middle:]]
    )
    assert from_entries.last_seal() == read_again.last_seal()
    assert from_entries.verify() is None
    # a consumer whose start is not where the last seal is: sealed by reading instead
    app.claim_lead(
        CommandContext("rita", clock.now()), capture(app, CommandContext("rita", clock.now()))
    )
    late = LogReader(app).entries(entries[middle].position)
    from_entries.seal_read(entries[middle].position, [(e.position, e.chain) for e in late])
    read_again.seal()
    assert from_entries.last_seal() == read_again.last_seal()
