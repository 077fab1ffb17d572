"""Tests of adapters on this machine alone: SQLite files, child processes, the project's files
and tools. No servers (those are tests/integration), no HTTP (tests/e2e)."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.local)
