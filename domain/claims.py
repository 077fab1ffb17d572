"""The claim policy decides whether a rep may take a lead from the pool now, and if not,
which rule refuses it and when the claim becomes possible."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Protocol

from domain.errors import NotAllowedNow
from domain.rules import ClaimPolicy


class Workload(Protocol):
    """What the policy needs to know of the claiming rep."""

    @property
    def held_count(self) -> int: ...

    def claims_on(self, day: date) -> int: ...


class ClaimRefused(NotAllowedNow):
    """A rule of the claim policy refuses the claim; `available_at` is when it would pass
    (None: when the rep holds fewer leads)."""

    def __init__(self, message: str, rule: str, available_at: datetime | None) -> None:
        super().__init__(message)
        self.rule = rule
        self.available_at = available_at


class ClaimLimitReached(ClaimRefused):
    """The rep holds as many leads as the claim policy allows."""


def claim_refusal(
    policy: ClaimPolicy, workload: Workload, at: datetime, returned_at: datetime | None
) -> ClaimRefused | None:
    """Why the rep may not claim the lead at `at`, or None. `returned_at` is when the lead
    last went back to the pool from this rep."""
    if workload.held_count >= policy.max_held:
        return ClaimLimitReached(
            f"you already hold {workload.held_count} leads; the limit is {policy.max_held}",
            "max_held", None,
        )  # fmt: skip
    day = at.date()
    if policy.max_per_day is not None and workload.claims_on(day) >= policy.max_per_day:
        tomorrow = datetime.combine(day + timedelta(days=1), time(), at.tzinfo)
        return ClaimRefused(
            f"you claimed {policy.max_per_day} leads today, the daily limit; "
            f"claim again from {tomorrow.isoformat()}",
            "max_per_day", tomorrow,
        )  # fmt: skip
    if returned_at is not None and policy.reclaim_cooldown_days:
        until = returned_at + timedelta(days=policy.reclaim_cooldown_days)
        if at < until:
            return ClaimRefused(
                f"the lead went back to the pool from you on {returned_at.isoformat()}; "
                f"you may claim it again from {until.isoformat()}",
                "reclaim_cooldown", until,
            )  # fmt: skip
    return None
