"""The benchmarks still run: `python -m bench` at its smallest size writes every result file
with a figure and, where one is named, a raw baseline measured in the same run. No speed is
asserted here (targets live in the benchmarks and the README, never in tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.integration.conftest import ROOT

EXPECTED = {"append", "import", "rebuild", "kafka_path", "http", "reports-sqlite",
            "reports-postgres", "scheduler-sqlite", "scheduler-postgres"}  # fmt: skip


def test_every_benchmark_runs_and_reports_figures_beside_their_baselines(services, tmp_path):
    env = os.environ | services | {"SALESLEDGER_BENCH_RESULTS": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "smoke"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    results = {p.stem: json.loads(p.read_text()) for p in tmp_path.glob("*.json")}
    assert set(results) == EXPECTED
    for name, result in results.items():
        assert result["rows"], name
        for row in result["rows"]:
            assert row["value"] >= 0, (name, row["figure"])
            if row["unit"].endswith("/s"):
                assert row["value"] > 0, (name, row["figure"])
            if row["baseline_name"]:
                assert row["baseline"] > 0 and row["ratio"] is not None, (name, row["figure"])
    assert "figure" in run.stdout and "ratio" in run.stdout  # the summary table
