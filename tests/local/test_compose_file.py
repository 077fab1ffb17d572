"""compose.yaml is valid Compose and names only commands the project has (no Docker here)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from api.cli import parser_of_commands

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"


def test_compose_file_follows_the_compose_specification():
    beside_python = Path(sys.executable).parent / "check-jsonschema"
    checker = shutil.which("check-jsonschema") or str(beside_python)
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", ["users", "api", "relay", "projector", "scheduler"])
def test_every_salesledger_service_runs_a_command_the_project_has(service):
    command = yaml.safe_load(COMPOSE.read_text())["services"][service]["command"]
    assert command[0] == "salesledger"
    parser_of_commands().parse_args(
        command[1:]
    )  # exits with an error for an unknown command or flag


def test_the_topology_has_postgres_kafka_and_every_role():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert {"postgres", "kafka", "api", "relay", "projector", "scheduler"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:4")
    for name in ("postgres", "kafka", "api"):
        assert "healthcheck" in services[name]
