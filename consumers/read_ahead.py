"""Reading the next batch in a second process while this one sends the last.

The relay reads the log, decodes, masks and encodes each event, then hands the messages to
kafka-python, whose producer works in pure Python too: in one process the two share one
interpreter lock, and the reading cost a third of the relay's time. A child process does the
reading and encoding (its results are bytes, cheap to pass back) one batch ahead, on the
machine's other core, while the relay sends and waits for Kafka's acknowledgements.

Reading ahead is speculative: the batch read ahead starts where the last one ended. When the
relay asks for another start (it stopped at a gap, or a send failed and it starts again from
its recorded position) the batch read ahead is dropped and the one asked for is read. A
batch shorter than the limit means the reader has caught up: nothing is read ahead then, so
a quiet relay reads each batch fresh, as late as it can, and in this process (given a local
reader): the child only works while there is a backlog.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, Protocol

from consumers.child_process import exit_with_parent


class Positioned(Protocol):
    position: int


Reader = Callable[[int, int], Sequence[Positioned]]

_reader: Reader | None = None  # the child process's own reader


class ReadAhead:
    """Calls `reader(after, limit)` in a child process, where `make_reader()` (picklable:
    the child is spawned, it shares nothing with this process) built it; a batch not read
    ahead is read by `local`, the same reader in this process, when there is one."""

    def __init__(self, make_reader: Callable[[], Reader], local: Reader | None = None) -> None:
        self.make_reader = make_reader
        self.local = local
        self._pool: ProcessPoolExecutor | None = None
        self._ahead: tuple[int, int, Future[Any]] | None = None

    def __call__(self, after: int, limit: int) -> Sequence[Positioned]:
        future = self._read_ahead_for(after, limit)
        if future is None and self.local is not None:
            batch = self.local(after, limit)
        else:
            batch = self._result(future or self._submit(after, limit))
        if len(batch) == limit:
            last = batch[-1].position
            self._ahead = (last, limit, self._submit(last, limit))
        return batch

    def start(self) -> None:
        """Starts the child now rather than at the first backlog: it takes a moment to start
        (imports, connecting), and its memory is then there from the relay's start."""
        self._result(self._pool_for().submit(_ready))

    def _result(self, future: Future[Any]) -> Any:
        try:
            return future.result()
        except BrokenProcessPool:
            self.close()  # the child died: start a new one next time
            raise

    def close(self) -> None:
        self._drop_ahead()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, cancel_futures=True)

    def _read_ahead_for(self, after: int, limit: int) -> Future[Any] | None:
        if self._ahead is not None and self._ahead[:2] == (after, limit):
            future = self._ahead[2]
            self._ahead = None
            return future
        self._drop_ahead()
        return None

    def _drop_ahead(self) -> None:
        if self._ahead is not None:
            self._ahead[2].cancel()  # or, already running, its result is never looked at
            self._ahead = None

    def _submit(self, after: int, limit: int) -> Future[Any]:
        return self._pool_for().submit(_read, after, limit)

    def _pool_for(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                1, mp_context=get_context("spawn"), initializer=_start, initargs=(self.make_reader,)
            )
        return self._pool


def _start(make_reader: Callable[[], Reader]) -> None:
    global _reader  # noqa: PLW0603 - one reader per child process, made once
    # Ctrl-C reaches the whole process group: the parent decides when the child stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent()
    _reader = make_reader()


def _read(after: int, limit: int) -> Sequence[Positioned]:
    assert _reader is not None, "the child process was not started through ReadAhead"
    return _reader(after, limit)


def _ready() -> None:
    """Runs in the child once its reader is made."""
