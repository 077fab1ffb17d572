"""The summary table of the latest results (bench/results/*.json), on stdout or as Markdown.

python -m bench.summary              # aligned text
python -m bench.summary --markdown   # the README's Performance table
"""

from __future__ import annotations

import argparse
import json

from bench.common import RESULTS

ORDER = ("append", "import", "http", "kafka_path", "rebuild", "reports-sqlite", "reports-postgres")
HEADER = (
    "figure",
    "unit",
    "value",
    "raw baseline (same run)",
    "baseline",
    "ratio",
    "target",
    "met",
)


def number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def target_text(row: dict) -> str:
    parts = []
    if row["target"] is not None:
        parts.append(("≥ " if row["higher_is_better"] else "≤ ") + number(row["target"]))
    if row["target_ratio"] is not None:
        parts.append(f"ratio ≥ {row['target_ratio']:g}")
    return ", ".join(parts) or "–"


def lines() -> list[tuple[str, ...]]:
    found = {p.stem: json.loads(p.read_text()) for p in RESULTS.glob("*.json")}
    names = [n for n in ORDER if n in found] + sorted(set(found) - set(ORDER))
    table = []
    for name in names:
        for row in found[name]["rows"]:
            met = {True: "yes", False: "NO", None: "–"}[row["met"]]
            table.append((
                row["figure"], row["unit"], number(row["value"]), row["baseline_name"] or "–",
                number(row["baseline"]), number(row["ratio"]), target_text(row), met,
            ))  # fmt: skip
    return table


def render_text(table: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *table]) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [HEADER, tuple("-" * w for w in widths), *table]
    )


def render_markdown(table: list[tuple[str, ...]]) -> str:
    rows = [HEADER, tuple("---" for _ in HEADER), *table]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    table = lines()
    if not table:
        raise SystemExit("no results yet: run `make bench` first")
    print(render_markdown(table) if args.markdown else render_text(table))


if __name__ == "__main__":
    main()
