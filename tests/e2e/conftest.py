"""HTTP in, read model out (tests/e2e/http), and the `salesledger` command on a data directory
(tests/e2e/cli), both in the embedded mode."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)
