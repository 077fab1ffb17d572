"""A progress bar over the store's log: events/s and ETA on stderr (tqdm)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tqdm import tqdm


@contextmanager
def progress_bar(total: int, what: str) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Yields a callback to give each envelope read; the bar counts log positions up to
    `total` (the store's last position)."""
    with tqdm(total=total, unit="ev", unit_scale=True, desc=what, mininterval=0.5) as bar:
        reached = [0]

        def tick(envelope: dict[str, Any]) -> None:
            # Positions, not envelopes: internal events are in the log too.
            if envelope["position"] - reached[0] >= 1000:
                bar.update(envelope["position"] - reached[0])
                reached[0] = envelope["position"]

        yield tick
        bar.update(total - reached[0])
