"""Children that end with their parent.

A spawned worker of a process pool waits on its task queue, whose pipe it holds both ends
of: when its parent is killed (kill -9, the OOM killer) it never sees the end of the queue
and waits for ever, holding its database connections. Each child started here watches its
parent's sentinel instead and exits as soon as the parent has gone.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from multiprocessing.connection import wait


def exit_with_parent() -> None:
    """In a spawned child (a pool's initializer): exit at once when the parent has gone."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
