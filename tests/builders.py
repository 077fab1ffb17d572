"""The one scenario builder: sales activity played on an application, as reps would play it.

Every test and benchmark that needs some history (and does not check a particular week number
by number, as `tests/e2e/http/test_week_of_activity.py` does) plays it through these.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from domain.alerts import alert_id
from domain.application import SalesPipeline
from domain.context import Clock, CommandContext
from domain.followups import FollowUp
from domain.rules import PoolRule
from domain.scoring import Authority

CLOSE = date(2027, 1, 1)


def capture(app: SalesPipeline, ctx: CommandContext, company: str = "ACME", **extra) -> UUID:
    """Captures a lead into the pool with a plain contact and budget; returns its id."""
    details = {
        "source": "web",
        "company": company,
        "contact": {"name": "Li Lei", "phone": "13800001234", "email": "li@acme.cn"},
        "budget": Decimal(150000),
    }
    details.update(extra)
    return app.capture_lead(ctx, **details).id


def open_deal(app: SalesPipeline, ctx: CommandContext, amount=100_000, **fields) -> UUID:
    """Opens an opportunity with plain defaults; returns its id."""
    details = {"name": "Deal", "customer": "ACME", "expected_close": CLOSE}
    details.update(fields)
    return app.open_opportunity(ctx, amount=Decimal(amount), **details).id


def convert_and_move(
    app: SalesPipeline,
    ctx: CommandContext,
    lead: UUID,
    *,
    name: str = "Deal",
    amount: Decimal = Decimal(100_000),
    stage: str = "proposal",
) -> UUID:
    """Converts a held lead into an opportunity and moves it to `stage`; returns its id."""
    opportunity = app.convert_lead(
        ctx, lead, name=name, amount=amount, expected_close=CLOSE
    ).opportunity_id
    app.move_opportunity(ctx, opportunity, stage=stage)
    return opportunity


def play_leads(
    app: SalesPipeline,
    clock: Clock,
    leads: int,
    *,
    rep: Callable[[int], str] = lambda n: f"rep{n}",
    claimed: Callable[[int], bool] = lambda n: True,
    converted: Callable[[int], bool] = lambda n: True,
    amount: Callable[[int], Decimal] = lambda n: Decimal(1000 + n),
    stage: str = "proposal",
    hours_apart: float = 1,
) -> list[UUID]:
    """Lead n is captured by `rep(n)`, claimed if `claimed(n)`, and if `converted(n)` turned
    into an opportunity of `amount(n)` moved to `stage`; `hours_apart` between leads (on a
    clock that `advance`s; 0 keeps the time). Returns the opportunities' ids."""
    opportunities = []
    for n in range(leads):
        if hours_apart:
            clock.advance(hours=hours_apart)  # type: ignore[attr-defined]
        ctx = CommandContext(rep(n), clock.now())
        lead = capture(app, ctx, company=f"Company {n}")
        if claimed(n):
            app.claim_lead(ctx, lead)
        if claimed(n) and converted(n):
            opportunities.append(
                convert_and_move(app, ctx, lead, name=f"Deal {n}", amount=amount(n), stage=stage)
            )
    return opportunities


def rep_day(app: SalesPipeline, ctx: CommandContext, n: int) -> int:
    """One lead of a rep's working day, as the HTTP load generator plays it: captured, claimed,
    called; three in four disqualified, the fourth converted and moved to needs. Returns how
    many commands it took."""
    lead = capture(app, ctx, company=f"Company {n}", contact=_contact(n))
    app.claim_lead(ctx, lead)
    app.follow_up_lead(ctx, lead, FollowUp(method="call", summary="first call"))
    if n % 4:
        app.disqualify_lead(ctx, lead, reason="no budget this year")
        return 4
    convert_and_move(app, ctx, lead, name=f"Deal {n}", amount=Decimal(50000), stage="needs")
    return 5


def _contact(n: int) -> dict[str, str]:
    return {"name": "Li Lei", "phone": "13800001234", "email": f"c{n}@example.cn"}


def every_kind_of_event(app: SalesPipeline, ryan, maria, clock) -> None:
    """One event of every published type, by a rep (`ryan`) and a manager (`maria`)."""
    app.define_pipeline(maria(), "hw", [{"key": "demo", "name": "Demo", "probability": "0.2"}])
    app.define_pipeline(maria(), "hw", [{"key": "trial", "name": "Trial", "probability": "0.4"}])
    lead = capture(app, ryan())
    app.score_lead(
        ryan(),
        lead,
        budget=Decimal(1),
        authority=Authority.STAFF,
        need_clear=False,
        timeline_days=3,
    )
    app.claim_lead(ryan(), lead)
    app.follow_up_lead(
        ryan(), lead, FollowUp("call", "s", "f", "n", clock.now() + timedelta(days=1))
    )
    app.release_lead(ryan(), lead, reason="r")
    app.assign_lead(maria(), lead, rep="ryan")
    app.return_lead_to_pool(maria(), lead, reason="rep_left")
    app.correct_lead_details(ryan(), lead, {"contact.email": "new@acme.cn", "company": "A2"})
    app.nurture_lead(ryan(), lead)
    app.reactivate_lead(maria(), lead)
    app.qualify_lead(ryan(), lead)
    app.convert_lead(ryan(), lead, name="d", amount=Decimal(2), expected_close=date(2027, 1, 1))
    app.correct_lead_details(ryan(), lead, {"source": "fair"})  # its deal's source too
    other = capture(app, ryan())
    app.disqualify_lead(ryan(), other, reason="spam")
    opp = app.open_opportunity(
        ryan(), name="o", customer="c", amount=Decimal("9.5"), expected_close=date(2027, 1, 1)
    ).id
    app.move_opportunity(ryan(), opp, stage="needs")
    app.change_opportunity_amount(ryan(), opp, amount=Decimal(10))
    app.change_opportunity_close_date(ryan(), opp, expected_close=date(2027, 2, 1))
    app.reassign_opportunity(maria(), opp, to_rep="rita")
    app.follow_up_opportunity(ryan(), opp, FollowUp("demo", "s"))
    app.lose_opportunity(ryan(), opp, reason="price", competitor="X")
    app.reopen_opportunity(ryan(), opp)
    app.win_opportunity(ryan(), opp)
    months = {"2026-12": Decimal("300.5")}
    app.set_target(maria(), 2026, company=Decimal(1000), by_month=months, by_rep={"ryan": 400})
    app.move_to_team(maria(), "rita", "west", known_team="east")
    app.write_pool_rules(maria(), [PoolRule("fast", idle_days=2, warn_days=1)])
    idle = capture(app, ryan())
    app.claim_lead(ryan(), idle)
    clock.advance(days=1)
    app.warn_of_lead_return(ryan(), idle, {})
    due = app.get_lead(idle).warned_of_return_at
    assert due is not None
    app.acknowledge_alert(ryan(), alert_id("return_warning", str(idle), due.isoformat()))
    clock.advance(days=1)
    app.return_lead_when_due(ryan(), idle, {})
    hot = capture(app, ryan())
    app.score_lead(ryan(), hot, budget=Decimal(200_000), authority=Authority.DIRECTOR,
                   need_clear=True, timeline_days=10)  # fmt: skip
    app.claim_lead(ryan(), hot)
    clock.advance(hours=25)
    app.record_contact_overdue(ryan(), hot)
    app.nurture_lead(ryan(), hot, reason="next year")
    app.reevaluate_lead(ryan(), hot, after=timedelta(0))
    app.erase_contact(maria(), capture(app, maria(), company="Forget Me Ltd"))
