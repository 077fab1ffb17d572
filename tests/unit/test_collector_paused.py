"""Rebuilds pause Python's cyclic garbage collector, and always switch it back on after."""

from __future__ import annotations

import gc

import pytest

from projections.rebuild import collector_paused


def test_the_collector_is_paused_inside_and_running_again_after():
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_runs_again_after_a_failed_rebuild():
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the store went away")
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
