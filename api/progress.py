"""A progress bar over the store's log: events/s and ETA on stderr (tqdm); a rebuild's progress
is logged too (`rebuild.progress`), which `--metrics-port` serves as gauges."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tqdm import tqdm

from consumers.logs import log_event

STEP = 1000  # log positions between two updates of the bar (and of the logged progress)
AFTER_THE_LOG = "log read, writing"
log = logging.getLogger("salesledger.rebuild")


@contextmanager
def progress_bar(
    total: int, what: str, *, rebuilding: list[str] | None = None
) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Yields a callback to give each envelope read; the bar counts log positions up to
    `total` (the store's last position). With `rebuilding` (the read models' names), each
    step is logged as `rebuild.progress` too: at debug level, its start and end at info; and
    the bar says when the log is read and the read models are being written."""
    read_models = ",".join(rebuilding or ())

    def logged(position: int, level: int = logging.DEBUG, **more: Any) -> None:
        if rebuilding:
            fields = dict(read_models=read_models, position=position, total=total, **more)
            log_event(log, "rebuild.progress", level=level, **fields)

    logged(0, logging.INFO, done=False)  # outside the bar, so the lines do not run into it
    with tqdm(total=total, unit="ev", unit_scale=True, desc=what, mininterval=0.5) as bar:
        reached = [0]

        def tick(envelope: dict[str, Any]) -> None:
            # Positions, not envelopes: internal events are in the log too.
            if envelope["position"] - reached[0] >= STEP:
                bar.update(envelope["position"] - reached[0])
                reached[0] = envelope["position"]
                logged(reached[0])
                if rebuilding and total - reached[0] < STEP:
                    # the log is read; what follows (a rebuild writing a million rows and
                    # their indexes) takes seconds the count of events cannot show
                    bar.set_postfix_str(AFTER_THE_LOG)

        yield tick
        bar.update(total - reached[0])
        bar.set_postfix_str("done")
    logged(total, logging.INFO, done=True)
