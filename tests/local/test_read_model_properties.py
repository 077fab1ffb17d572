"""Property: whatever the commands and however delivery is batched or repeated, the stored read
models equal a fresh fold of every event in the store."""

import contextlib
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from consumers.in_process import StoreFollower
from domain.application import SalesPipeline
from domain.context import SCHEDULER, CommandContext
from domain.errors import DomainError
from domain.followups import FollowUp
from domain.rules import PoolRule
from domain.scoring import Authority
from projections.base import fold
from projections.catalog import all_projections
from projections.replay import fold_until
from projections.sql_store import SqlDocStore
from store.database import Database
from store.event_store import open_pipeline
from store.log_reader import all_envelopes
from tests.conftest import MONDAY

REPS = ("ryan", "rita", "will")
STAGES = ("contact", "needs", "proposal", "negotiation")
LEAD_COMMANDS = ("claim", "score", "follow_up", "release", "qualify", "convert", "correct")
SOURCES = ("web", "fair", "referral")

operation = st.one_of(
    st.tuples(st.just("capture"), st.sampled_from(REPS)),
    st.tuples(st.just("claim"), st.sampled_from(REPS), st.integers(0, 9)),
    st.tuples(st.just("score"), st.integers(0, 9), st.sampled_from(list(Authority))),
    st.tuples(st.just("follow_up"), st.integers(0, 9), st.sampled_from(["call", "email", "demo"])),
    st.tuples(st.just("release"), st.integers(0, 9)),
    st.tuples(st.just("qualify"), st.integers(0, 9)),
    st.tuples(st.just("convert"), st.integers(0, 9), st.integers(0, 500_000)),
    st.tuples(st.just("correct"), st.integers(0, 9), st.sampled_from(SOURCES)),
    st.tuples(st.just("open"), st.sampled_from(REPS), st.integers(0, 500_000)),
    st.tuples(st.just("move"), st.integers(0, 9), st.sampled_from(STAGES)),
    st.tuples(st.just("win"), st.integers(0, 9)),
    st.tuples(st.just("lose"), st.integers(0, 9)),
    st.tuples(st.just("reopen"), st.integers(0, 9)),
    st.tuples(st.just("reassign"), st.integers(0, 9), st.sampled_from(REPS)),
    st.tuples(
        st.just("deliver"),
    ),
    st.tuples(st.just("wait_hours"), st.integers(1, 200)),
    st.tuples(st.just("target"), st.integers(0, 1_000_000), st.sampled_from(REPS)),
    st.tuples(st.just("team"), st.sampled_from(REPS), st.sampled_from(["east", "west", None])),
    st.tuples(st.just("pool_rules"), st.integers(1, 10)),
    st.tuples(st.just("scheduler"), st.integers(0, 9)),
)
# The user directory's teams, before any team move is recorded.
DIRECTORY = {"ryan": "east", "rita": "east", "will": "west", "maria": "east"}


PRELUDE = [("capture", rep) for rep in REPS] + [("open", rep, 10_000) for rep in REPS]


def run(app: SalesPipeline, ops, follower: StoreFollower, snapshot=None) -> None:
    """Runs the operations after a prelude that gives later commands leads and deals to act on;
    a ("snapshot",) operation delivers everything and calls `snapshot(now)`, then moves the
    clock a second on, so that nothing else happens at the moment it saw."""
    leads: list = []
    opps: list = []
    now = MONDAY
    ops = PRELUDE + list(ops)

    def pick(items, i):
        return items[i % len(items)] if items else None

    for op in ops:
        ctx = CommandContext(op[1] if op[0] in ("capture", "claim", "open") else "maria", now)
        kind = op[0]
        try:
            if kind == "capture":
                leads.append(
                    app.capture_lead(ctx, source="web", company="C", contact={"name": "N"}).id
                )
            elif kind == "wait_hours":
                now += timedelta(hours=op[1])
            elif kind == "deliver":
                follower.run_once()
            elif kind == "team":
                app.move_to_team(ctx, op[1], op[2], known_team=DIRECTORY.get(op[1]))
            elif kind == "pool_rules":
                app.write_pool_rules(ctx, [PoolRule("r", idle_days=op[1], warn_days=op[1] - 1)])
            elif leads and kind == "scheduler":  # what a pass may do to a lead, now
                lead, system = pick(leads, op[1]), CommandContext(SCHEDULER, now)
                for timed in (app.warn_of_lead_return, app.return_lead_when_due):
                    with contextlib.suppress(DomainError):
                        timed(system, lead, DIRECTORY)
                app.record_contact_overdue(system, lead)
            elif kind == "target":
                app.set_target(ctx, 2026, company=Decimal(op[1]), by_rep={op[2]: op[1] // 4})
            elif kind == "snapshot":
                follower.catch_up()
                if snapshot is not None:
                    snapshot(now)
                now += timedelta(seconds=1)
            elif kind == "open":
                opps.append(
                    app.open_opportunity(
                        ctx,
                        name="O",
                        customer="C",
                        amount=Decimal(op[2]),
                        expected_close=date(2027, 1, 1),
                        owner=op[1],
                    ).id
                )
            elif leads and kind in LEAD_COMMANDS:
                lead = pick(leads, op[2] if kind == "claim" else op[1])
                if kind == "claim":
                    app.claim_lead(ctx, lead)
                elif kind == "score":
                    app.score_lead(
                        ctx,
                        lead,
                        budget=Decimal(150_000),
                        authority=op[2],
                        need_clear=True,
                        timeline_days=20,
                    )
                elif kind == "follow_up":
                    holder = app.get_lead(lead).holder or "maria"
                    app.follow_up_lead(CommandContext(holder, now), lead, FollowUp(op[2], "s"))
                elif kind == "release":
                    app.release_lead(ctx, lead, reason="r")
                elif kind == "qualify":
                    app.qualify_lead(ctx, lead)
                elif kind == "correct":  # the lead's source, at any step (after a win too)
                    app.correct_lead_details(ctx, lead, {"source": op[2]})
                else:
                    opps.append(
                        app.convert_lead(
                            ctx,
                            lead,
                            name="L",
                            amount=Decimal(op[2]),
                            expected_close=date(2027, 1, 1),
                        ).opportunity_id
                    )
            elif opps and kind in ("move", "win", "lose", "reopen", "reassign"):
                opp = pick(opps, op[1])
                if kind == "move":
                    app.move_opportunity(ctx, opp, stage=op[2])
                elif kind == "win":
                    app.win_opportunity(ctx, opp)
                elif kind == "lose":
                    app.lose_opportunity(ctx, opp, reason="price")
                elif kind == "reopen":
                    app.reopen_opportunity(ctx, opp)
                else:
                    app.reassign_opportunity(ctx, opp, to_rep=op[2])
        except DomainError:
            pass  # a command the rules refuse records nothing, which is part of the property


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=10, max_size=80))
def test_read_models_equal_a_fresh_fold_of_the_store(ops):
    app = open_pipeline(claim_limit=3)
    store = SqlDocStore(Database.sqlite(":memory:"))
    projections = all_projections()
    follower = StoreFollower(app, store, projections, publish=lambda e: e, batch_size=7)
    run(app, ops, follower)
    follower.catch_up()
    envelopes = list(all_envelopes(app))
    target(len(envelopes))  # steer towards long histories
    fresh = fold_until(projections, envelopes)
    for projection in projections:
        assert store.all_docs(projection.name) == fresh[projection.name].docs

    # Redelivering everything (as Kafka may after a crash) changes nothing.
    for projection in projections:
        with store.batch(projection.name) as state:
            assert not any(fold(projection, state, e) for e in envelopes)
        assert store.all_docs(projection.name) == fresh[projection.name].docs
    assert_tallies_count_the_current_leads(store.db)
    store.db.close()
    app.close()


def assert_tallies_count_the_current_leads(db: Database) -> None:
    """The counts the fold keeps as leads change equal a count of the current leads."""
    counted = db.read("SELECT COALESCE(rep, ''), step, COUNT(*) FROM rm_lead GROUP BY 1, 2")
    kept = db.read("SELECT rep, step, n FROM rm_lead_step_count WHERE n != 0")
    assert sorted(kept) == sorted(counted)
    unheld = db.read(
        "SELECT status, COALESCE(tier, ''), source, COUNT(*) FROM rm_lead "
        "WHERE holder IS NULL GROUP BY 1, 2, 3"
    )
    kept = db.read("SELECT status, tier, source, n FROM rm_unheld_lead_count WHERE n != 0")
    assert sorted(kept) == sorted(unheld)
    captured = db.read(
        "SELECT substr(captured_at, 1, 7), source, COALESCE(first_contact_within_sla, -1), "
        "CASE WHEN status = 'converted' THEN 1 ELSE 0 END, COUNT(*) FROM rm_lead "
        "WHERE captured_at IS NOT NULL GROUP BY 1, 2, 3, 4"
    )
    kept = db.read(
        "SELECT captured_month, source, first_contact_within_sla, converted, n "
        "FROM rm_lead_capture_count WHERE n != 0"
    )
    assert sorted(kept) == sorted(captured)
