"""docs/read-models.md documents every column of every ledger table, one line each."""

from __future__ import annotations

from pathlib import Path

from projections.ledger import TABLES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "read-models.md"


def test_every_ledger_column_is_documented_for_analytics_users():
    text = DOCS.read_text()
    for table in TABLES:
        assert f"`{table.name}`" in text, table.name
        for column in table.all_columns:
            assert f"| `{column}` |" in text, f"{table.name}.{column} is not documented"
