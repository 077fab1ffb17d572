"""The scheduler on PostgreSQL, fed by the Kafka projectors, as in production: killed with
kill -9 in the middle of a pass it loses nothing, and two schedulers at once double nothing.

The leads are claimed on Monday 23 November 2026 (the test clock) and never followed up, so
by the wall clock the scheduler processes read (December 2026) every one is due back."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from api.bootstrap import scheduler_of
from api.users import Role
from consumers.pool_job import PoolJob
from domain.context import CommandContext
from domain.rules import ClaimPolicy
from store.log_reader import all_envelopes
from tests.builders import capture
from tests.integration.conftest import Pipeline, wait_until


def claimed_leads(container, clock, count: int) -> list[str]:
    container.users.add("ryan", Role.REP, "east", clock.now())
    container.app.write_claim_policy(_ryan(clock), ClaimPolicy(max_held=count))
    leads = []
    for n in range(count):
        lead = capture(container.app, _ryan(clock), company=f"Company {n}")
        container.app.claim_lead(_ryan(clock), lead)
        leads.append(str(lead))
    pipeline = Pipeline(container)
    try:
        pipeline.drain()  # the ledger the scheduler reads knows every holder
    finally:
        pipeline.close()
    return leads


def _ryan(clock) -> CommandContext:
    return CommandContext("ryan", clock.now())


def returns(container) -> Counter:
    return Counter(
        e["aggregate_id"] for e in all_envelopes(container.app) if e["type"] == "LeadReturnedToPool"
    )


def test_a_scheduler_killed_mid_pass_loses_nothing(production, processes, clock):
    leads = claimed_leads(production, clock, 300)
    scheduler = processes(["scheduler", "--interval", "60"]).start()
    wait_until(lambda: sum(returns(production).values()) >= 20, 60, "the first returns")
    scheduler.kill_9()
    assert sum(returns(production).values()) < len(leads), "the pass ended before the kill"
    # the next pass, at the wall clock's time, decides on each lead again: those returned
    # already are refused
    clock.set(datetime.now(UTC))
    report = scheduler_of(production, [PoolJob]).run_once()
    done = returns(production)
    assert set(done) == set(leads)
    assert set(done.values()) == {1}
    assert len(report.done) + len(report.refused) == len(leads)


def test_two_schedulers_at_once_return_each_lead_once(production, processes, clock):
    leads = claimed_leads(production, clock, 100)
    first = processes(["scheduler", "--once"]).start()
    second = processes(["scheduler", "--once"]).start()
    assert first.proc.wait(timeout=120) == 0 and second.proc.wait(timeout=120) == 0
    done = returns(production)
    assert set(done) == set(leads) and set(done.values()) == {1}
