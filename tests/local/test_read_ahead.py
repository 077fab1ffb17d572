"""A reader run one batch ahead in a child process gives what calling it directly gives."""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import pytest

from consumers.read_ahead import ReadAhead


class Entry(NamedTuple):
    position: int


def numbered_log(size: int):
    """A reader over positions 1..size; position 13 cannot be read (a failing store)."""

    def read(after: int, limit: int) -> list[Entry]:
        if after < 13 <= after + limit and size >= 13:
            raise OSError("the store is away")
        return [Entry(p) for p in range(after + 1, min(after + limit, size) + 1)]

    return read


def make_numbered_log(size: int):
    return numbered_log(size)


@pytest.fixture
def read_ahead():
    reader = ReadAhead(partial(make_numbered_log, 12))
    yield reader
    reader.close()


def test_batches_read_ahead_equal_batches_read_directly(read_ahead):
    direct = numbered_log(12)
    assert read_ahead(0, 5) == direct(0, 5)
    assert read_ahead(5, 5) == direct(5, 5)  # read ahead while the first was handled
    assert read_ahead(10, 5) == direct(10, 5)  # short: caught up, nothing read ahead
    assert read_ahead(12, 5) == []


def test_a_batch_asked_from_elsewhere_than_read_ahead_is_read_afresh(read_ahead):
    assert [e.position for e in read_ahead(0, 4)] == [1, 2, 3, 4]
    # The relay stopped at a gap at 3: it asks from 2 again, not from 4.
    assert [e.position for e in read_ahead(2, 4)] == [3, 4, 5, 6]
    assert [e.position for e in read_ahead(6, 4)] == [7, 8, 9, 10]


def test_a_failing_read_reaches_the_caller_and_the_next_read_works():
    reader = ReadAhead(partial(make_numbered_log, 20))
    try:
        assert len(reader(0, 6)) == 6
        with pytest.raises(OSError, match="the store is away"):
            reader(6, 10)  # read ahead, failed in the child: raised here
        assert [e.position for e in reader(0, 3)] == [1, 2, 3]
    finally:
        reader.close()


def test_with_a_local_reader_only_batches_read_ahead_come_from_the_child():
    asked_here = []
    local_log = numbered_log(12)

    def local(after: int, limit: int) -> list[Entry]:
        asked_here.append(after)
        return local_log(after, limit)

    reader = ReadAhead(partial(make_numbered_log, 12), local)
    try:
        reader.start()
        assert [e.position for e in reader(0, 5)] == [1, 2, 3, 4, 5]
        assert [e.position for e in reader(5, 5)] == [6, 7, 8, 9, 10]  # from the child
        assert [e.position for e in reader(10, 5)] == [11, 12]  # from the child, short
        assert reader(12, 5) == []  # caught up: nothing was read ahead, so read here
    finally:
        reader.close()
    assert asked_here == [0, 12]


PARENT = """
import sys
from functools import partial
from tests.local.test_read_ahead import make_numbered_log
from consumers.read_ahead import ReadAhead

if __name__ == "__main__":
    reader = ReadAhead(partial(make_numbered_log, 12))
    reader.start()
    print(*reader._pool._processes, flush=True)  # the child's pid
    sys.stdin.read()  # until killed
"""


def test_the_child_ends_when_its_parent_is_killed(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen(
        [sys.executable, str(script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
        env=os.environ | {"PYTHONPATH": os.getcwd()},
    )
    child = int(parent.stdout.readline())
    assert _alive(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)  # a real process ending: no clock to inject
    assert not _alive(child)


def _alive(pid: int) -> bool:
    from pathlib import Path

    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()
