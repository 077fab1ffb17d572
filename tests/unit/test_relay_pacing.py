"""How the relay paces itself between batches: straight on while behind, a short linger once
caught up, the idle wait when nothing came, and a growing backoff while the store or Kafka
is away."""

from __future__ import annotations

from consumers.relay import Relay


class RecordingStop:
    """A stop event that records each wait and stops the loop after the scripted batches."""

    def __init__(self, batches: int) -> None:
        self.waits: list[float] = []
        self.left = batches

    def is_set(self) -> bool:
        return self.left == 0

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        return False


def paced(outcomes: list[int | Exception]) -> list[float]:
    relay = Relay.__new__(Relay)  # the loop only: no store, no Kafka
    relay.batch_size, relay.linger = 100, 0.025
    stop = RecordingStop(len(outcomes))
    script = iter(outcomes)

    def run_once() -> int:
        stop.left -= 1
        outcome = next(script)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    relay.run_once = run_once
    relay.run_forever(stop, idle_seconds=0.2)
    return stop.waits


def test_a_full_batch_is_followed_at_once_and_a_partial_one_after_a_short_linger():
    assert paced([100, 100, 7, 0]) == [0.025, 0.2]


def test_an_outage_backs_off_doubling_and_a_good_batch_resets_it():
    away = ConnectionError("broker away")
    assert paced([away, away, away, 100, 0]) == [0.4, 0.8, 1.6, 0.2]
