"""The CI check on the Kafka contract: the committed event schemas against the last release's
(docs/events/released.json). Only added optional fields pass."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from api.cli import main
from api.cli.schema_compat import breaking_changes, breaking_since_release

pytestmark = pytest.mark.local
DOCS = Path(__file__).resolve().parents[2] / "docs" / "events"
CLAIMED = json.loads((DOCS / "LeadClaimed.v1.schema.json").read_text())


def changed(edit) -> list[str]:
    new = copy.deepcopy(CLAIMED)
    edit(new, new["$defs"]["LeadClaimed"])
    return breaking_changes(CLAIMED, new)


def test_the_committed_schemas_are_compatible_with_the_release():
    assert breaking_since_release(DOCS) == []


def test_an_added_optional_field_or_new_wording_passes():
    def add_optional(_, data):
        data["properties"]["channel"] = {"type": "string"}

    def reword(schema, _):
        schema["properties"]["id"]["description"] = "another wording"

    assert changed(add_optional) == [] and changed(reword) == []


@pytest.mark.parametrize("edit", [
    lambda _, data: data["properties"].pop("rep"),
    lambda _, data: data["properties"]["rep"].update(type="integer"),
    lambda _, data: data["required"].remove("rep"),
    lambda _, data: (data["properties"].update(team={"type": "string"}),
                     data["required"].append("team")),
    lambda schema, _: schema["properties"]["aggregate_type"]["enum"].remove("alert"),
    lambda schema, _: schema["properties"]["schema_version"].update(const=2),
])  # fmt: skip
def test_a_change_a_consumer_relies_on_fails(edit):
    assert changed(edit)


def test_the_command_fails_naming_the_break(tmp_path, capsys):
    folder = tmp_path / "events"
    shutil.copytree(DOCS, folder)
    assert main(["schema", "check", "--folder", str(folder)]) == 0
    schema = json.loads((folder / "LeadClaimed.v1.schema.json").read_text())
    del schema["$defs"]["LeadClaimed"]["properties"]["rep"]
    (folder / "LeadClaimed.v1.schema.json").write_text(json.dumps(schema))
    (folder / "AlertRaised.v1.schema.json").unlink()
    assert main(["schema", "check", "--folder", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "LeadClaimed.v1.schema.json /$defs/LeadClaimed/rep: removed" in err
    assert "AlertRaised.v1.schema.json: the event type is gone" in err
