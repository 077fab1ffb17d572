"""Export and import: the log written as JSON Lines and restored into an empty store gives the
same reports, the same histories and a log that still verifies."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import build
from api.cli import main
from api.settings import Settings
from api.users import Role
from tests.conftest import Api
from tests.e2e.http.test_week_of_activity import week  # noqa: F401 - the scripted week

pytestmark = pytest.mark.e2e

REPORTS = (
    ("/reports/funnel", {}),
    ("/reports/stage-conversion", {}),
    ("/reports/rep-activity", {"week": "2026-W48"}),
    ("/reports/funnel", {"as_of": "2026-11-25T00:00:00+00:00"}),
    ("/pool", {}),
)


def reports(api: Api) -> list[dict]:
    return [api.as_("ada").get(path, **params).json() for path, params in REPORTS]


def test_a_full_export_restores_into_an_empty_store_with_equal_reports(
    week,  # noqa: F811
    container,
    tokens,
    clock,
    tmp_path,
    embedded_env,
    capsys,
):
    before = reports(week.api)
    embedded_env(container.settings.data_dir)
    backup = tmp_path / "backup.jsonl"
    assert main(["export", "--out", str(backup)]) == 0
    lines = backup.read_text().splitlines()
    first = json.loads(lines[0])
    envelope = {"id", "type", "schema_version", "aggregate_id", "aggregate_version", "position",
                "occurred_at", "actor", "correlation_id", "data"}  # fmt: skip
    assert envelope | {"topic", "chain"} <= set(first)

    restored_dir = tmp_path / "restored"
    embedded_env(restored_dir)
    assert main(["import", str(backup)]) == 0
    assert f"imported {len(lines)} events" in capsys.readouterr().out
    assert main(["audit", "verify"]) == 0
    restored = build(Settings(data_dir=restored_dir), clock=clock)
    token = restored.users.add("ada", Role.ADMIN, None, clock.now())
    with TestClient(create_app(restored)) as client:
        assert reports(Api(client, {"ada": token})) == before
    restored.close()


def test_incremental_exports_restore_in_order_and_refuse_out_of_order(
    container, ryan, tmp_path, embedded_env, capsys
):
    from tests.builders import capture

    capture(container.app, ryan(), company="First")
    embedded_env(container.settings.data_dir)
    full, delta = tmp_path / "full.jsonl", tmp_path / "delta.jsonl"
    assert main(["export", "--out", str(full)]) == 0
    position = container.app.last_position()
    capture(container.app, ryan(), company="Second")
    assert main(["export", "--after", str(position), "--out", str(delta)]) == 0
    assert len(delta.read_text().splitlines()) == 1

    embedded_env(tmp_path / "restored")
    assert main(["import", str(delta)]) == 0  # a new aggregate: nothing to continue
    assert main(["import", str(full)]) == 0
    assert main(["import", str(full)]) == 1  # a second time would repeat versions
    assert "cannot follow it" in capsys.readouterr().err


def test_a_file_that_is_not_an_export_is_refused_and_writes_nothing(tmp_path, embedded_env, capsys):
    embedded_env(tmp_path / "data")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"hello": "world"}\n')
    assert main(["import", str(bad)]) == 1
    assert "line 1: not an exported event" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "missing.jsonl")]) == 2
