"""Rebuilding read models in several processes.

A rebuild is one Python process's work: reading and decoding the log, folding it, writing the
rows; and the interpreter runs one thread at a time. With more cores, the work is split:

- relational read models (the ledger) by aggregate: their rows are each owned by one
  aggregate, so each process reads the whole log but decodes and folds only its part of the
  aggregates (`AggregatePart`), in log order, and writes their rows to a scratch file; this
  process then swaps every part's rows in, in one transaction (`write_rebuilt_parts`);
- document read models by read model: each process folds some of them from the whole log and
  swaps each in on its own.

Either way every aggregate's events are folded in order by one process, so the result is the
same as one process's.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path

from consumers.child_process import exit_with_parent
from projections.base import Envelope, Projection
from projections.rebuild import rebuild, rebuild_part
from projections.replay import Rebuilt
from projections.sql_store import STORE_SOURCE, SqlDocStore
from store.envelopes import LogRow

# Below this many log positions a second process costs more to start than it saves.
PARALLEL_FROM = 100_000
# Relative time each read model takes to fold (measured on seeded logs: the ledger about six
# times as long as the stage-conversion documents it replaced; others count 1).
FOLD_COST = {"ledger": 6}
# Rebuilds the named read models in a process of its own (picklable: the child is spawned);
# returns how many events it folded.
GroupRebuild = Callable[[list[str], "datetime | None"], int]
# Folds the named read models' part of the aggregates in a process of its own and writes
# their rows to scratch files (by read model); returns (the position its reader read to,
# how many events it folded).
PartRebuild = Callable[[list[str], "AggregatePart", dict[str, str]], tuple[int, int]]


def default_jobs(log_positions: int) -> int:
    if log_positions < PARALLEL_FROM:
        return 1
    return min(2, os.cpu_count() or 1)


def groups_of(projections: list[Projection], jobs: int) -> list[list[Projection]]:
    """The read models in at most `jobs` groups of about equal folding cost, costliest first."""
    groups: list[list[Projection]] = [[] for _ in range(min(jobs, len(projections)))]
    costs = [0] * len(groups)
    for projection in sorted(projections, key=lambda p: -FOLD_COST.get(p.name, 1)):
        lightest = costs.index(min(costs))
        groups[lightest].append(projection)
        costs[lightest] += FOLD_COST.get(projection.name, 1)
    return [g for g in groups if g]


class AggregatePart:
    """One of `count` parts of the log's aggregates, by the last character of the aggregate
    id (a UUID's last hex digit, random: the parts are about even), as a filter of log rows;
    remembers the last position it was shown (what its reader has read to)."""

    def __init__(self, index: int, count: int) -> None:
        self.index, self.count = index, count
        self.read_to = 0

    def __call__(self, row: LogRow) -> bool:
        self.read_to = row[0]
        return ord(str(row[1])[-1]) % self.count == self.index


def rebuild_in_jobs(
    projections: list[Projection],
    read_after: Callable[[int], Iterable[Envelope]],
    store: SqlDocStore,
    rebuild_group: GroupRebuild,
    rebuild_part_elsewhere: PartRebuild,
    until: datetime | None,
    jobs: int,
    on_event: Callable[[Envelope], None] | None = None,
) -> Rebuilt:
    """Rebuilds the read models in `jobs` processes (this one, and jobs - 1 others): relational
    ones split by aggregate (`rebuild_part_elsewhere` in the others), document ones by read
    model (`rebuild_group`); the result's event count is the whole log's."""
    if jobs > 1 and until is None and all(getattr(p, "tables", None) for p in projections):
        return rebuild_by_aggregate(
            projections, read_after, store, rebuild_part_elsewhere, jobs, on_event
        )
    mine, *others = groups_of(projections, jobs)
    if not others:
        return rebuild(mine, read_after, store, until, on_event)
    with ProcessPoolExecutor(
        len(others), mp_context=get_context("spawn"), initializer=exit_with_parent
    ) as pool:
        running = [pool.submit(rebuild_group, [p.name for p in group], until) for group in others]
        rebuilt = rebuild(mine, read_after, store, until, on_event)
        for job in running:
            job.result()  # raises what failed there
    return rebuilt


def rebuild_by_aggregate(
    projections: list[Projection],
    read_after: Callable[..., Iterable[Envelope]],
    store: SqlDocStore,
    rebuild_part_elsewhere: PartRebuild,
    jobs: int,
    on_event: Callable[[Envelope], None] | None = None,
) -> Rebuilt:
    """Rebuilds relational read models in `jobs` processes, each folding one part of the
    aggregates; swaps them in at the position every part has read to (events after it, which
    some part may have folded already, are delivered again and skipped by version)."""
    names = [p.name for p in projections]
    parts = [AggregatePart(index, jobs) for index in range(jobs)]
    with tempfile.TemporaryDirectory(prefix="salesledger-rebuild-") as folder:
        paths = [{n: str(Path(folder, f"{n}.{i}.sqlite")) for n in names} for i in range(jobs)]
        with ProcessPoolExecutor(
            jobs - 1, mp_context=get_context("spawn"), initializer=exit_with_parent
        ) as pool:
            running = [
                pool.submit(rebuild_part_elsewhere, names, part, paths[part.index])
                for part in parts[1:]
            ]
            mine = parts[0]
            folded = rebuild_part(
                projections, lambda after: read_after(after, keep=mine), paths[0], on_event
            )
            reached = [(mine.read_to, folded.events), *(job.result() for job in running)]
        position = min(read_to for read_to, _ in reached)
        for name in names:
            store.write_rebuilt_parts(name, [p[name] for p in paths], {STORE_SOURCE: position})
    return Rebuilt({}, position, sum(events for _, events in reached))
