"""A stage's rank as SQL (what stage conversion reads its facts with) against rank_at."""

from __future__ import annotations

import sqlite3
from itertools import product

from projections.reports.sql import rank_at, rank_sql

# A line redefined twice (its order changed, a stage dropped, lost listed among its keys), a
# line defined once, and a line with none (the default stages).
RANKS = {
    "hw": [
        ("2027-01-01T00:00:00+00:00", "2027-02-01T00:00:00+00:00", ["demo", "trial", "deal"]),
        ("2027-02-01T00:00:00+00:00", "2027-03-01T00:00:00+00:00", ["trial", "lost", "demo"]),
        ("2027-03-01T00:00:00+00:00", None, ["demo", "deal"]),
    ],
    "sw": [("2027-01-15T00:00:00+00:00", None, ["pilot", "contact", "proposal"])],
}
LINES = ["hw", "sw", "general", None]
STAGES = ["demo", "trial", "deal", "pilot", "contact", "needs", "proposal", "negotiation",
          "won", "lost", "unknown", None]  # fmt: skip
MOMENTS = [
    "2026-12-31T23:59:59+00:00",  # before any definition
    "2027-01-01T00:00:00+00:00",
    "2027-01-20T12:00:00+00:00",
    "2027-02-01T00:00:00+00:00",
    "2027-02-28T23:59:59+00:00",
    "2027-03-01T00:00:00+00:00",
    "2027-06-01T00:00:00+00:00",
]


def test_a_facts_rank_in_sql_is_its_pipelines_rank_at_the_facts_moment():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE facts (product_line TEXT, stage TEXT, at TEXT)")
    facts = list(product(LINES, STAGES, MOMENTS))
    db.executemany("INSERT INTO facts VALUES (?, ?, ?)", facts)
    rank, params = rank_sql(RANKS, "product_line", "stage", "at")
    ranked = db.execute(
        f"SELECT product_line, stage, at, {rank} FROM facts ORDER BY rowid", params
    ).fetchall()
    assert [r[3] for r in ranked] == [rank_at(RANKS, *fact) for fact in facts]
    assert {r[3] for r in ranked} >= {-1, 0, 1, 2, 10_000}  # every kind of answer came up
