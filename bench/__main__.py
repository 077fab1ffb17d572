"""Runs every benchmark at one size, each in its own process, then prints the summary table.

    python -m bench                # quick: CI-sized, about a minute
    python -m bench --size full    # minutes; about a million events for rebuild, relay, memory,
                                   # the reports (live and as of a month back), and a scheduler pass
                                   # over 100,000 held leads

Needs PostgreSQL and Kafka: `make services`, then `. .services/env` (or `make bench`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from bench import summary

SIZES = {
    "smoke": {
        "commands": 200,
        "leads": 100,
        "import_leads": 100,
        "http_commands": 300,
        "report_requests": 16,
        "held": 200,
        "due": 20,
    },
    "quick": {
        "commands": 1000,
        "leads": 1000,
        "import_leads": 1000,
        "http_commands": 2000,
        "report_requests": 200,
        "held": 5000,
        "due": 500,
    },
    "full": {
        "commands": 5000,
        "leads": 125_000,
        "import_leads": 20_000,
        "http_commands": 20_000,
        "report_requests": 400,
        "held": 100_000,
        "due": 1000,
    },
}


def commands(size: dict[str, int]) -> list[list[str]]:
    return [
        ["bench.append", "--commands", str(size["commands"])],
        ["bench.bulk_import", "--leads", str(size["import_leads"])],
        ["bench.rebuild", "--leads", str(size["leads"])],
        ["bench.kafka_path", "--leads", str(size["leads"])],
        ["bench.http", "--commands", str(size["http_commands"])],
    ] + [
        ["bench.reports", "--leads", str(size["leads"]), "--backend", backend,
         "--requests", str(size["report_requests"])]
        for backend in ("sqlite", "postgres")
    ] + [
        ["bench.scheduler", "--held", str(size["held"]), "--due", str(size["due"]),
         "--backend", backend]
        for backend in ("sqlite", "postgres")
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="quick")
    args = parser.parse_args()
    for command in commands(SIZES[args.size]):
        print("running", " ".join(command), flush=True)
        subprocess.run([sys.executable, "-m", *command], check=True, stdout=subprocess.DEVNULL)
    print()
    print(summary.render_text(summary.lines()))


if __name__ == "__main__":
    main()
