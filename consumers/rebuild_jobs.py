"""Rebuilding read models in several processes, one group of read models in each.

A rebuild is one Python process's work: reading and decoding the log takes about half of it,
folding and writing the read models the other half, and the interpreter runs one thread at a
time. With a second core, a second process reads the same log and rebuilds some of the read
models while this one rebuilds the others: each read model is still folded from the whole log
in order, swapped in on its own in one transaction, and records the position it reached, so
the result is the same as one process's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from multiprocessing import get_context

from consumers.child_process import exit_with_parent
from projections.base import Envelope, Projection
from projections.rebuild import rebuild
from projections.replay import Rebuilt
from projections.sql_store import SqlDocStore

# Below this many log positions a second process costs more to start than it saves.
PARALLEL_FROM = 100_000
# Relative time each read model takes to fold (measured on seeded logs: the ledger about six
# times as long as the stage-conversion documents it replaced; others count 1).
FOLD_COST = {"ledger": 6}
# Rebuilds the named read models in a process of its own (picklable: the child is spawned);
# returns how many events it folded.
GroupRebuild = Callable[[list[str], "datetime | None"], int]


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


def rebuild_in_jobs(
    projections: list[Projection],
    read_after: Callable[[int], Iterable[Envelope]],
    store: SqlDocStore,
    rebuild_group: GroupRebuild,
    until: datetime | None,
    jobs: int,
    on_event: Callable[[Envelope], None] | None = None,
) -> Rebuilt:
    """Rebuilds the read models in `jobs` processes (this one, and jobs - 1 others each
    running `rebuild_group`); returns this process's result, whose event count is the whole
    log's."""
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
