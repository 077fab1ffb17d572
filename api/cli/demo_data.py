"""Seeded, realistic sales activity: teams of reps working leads from several sources through
follow-ups, conversion and the pipeline, with plausible conversion and loss rates.

The same seed gives the same history. It drives ordinary commands, so every rule holds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from domain.application import SalesPipeline
from domain.context import CommandContext
from domain.errors import DomainError
from domain.followups import FollowUp
from domain.scoring import Authority

SOURCES = ("web", "trade_show", "sem", "referral", "partner")
REGIONS = ("north", "south", "east", "west")
INDUSTRIES = ("manufacturing", "retail", "finance", "healthcare", "logistics", "education")
METHODS = ("call", "email", "visit", "demo", "meeting", "message")
STAGES = ("contact", "needs", "proposal", "negotiation")
# Chance of moving on from each open stage; the rest are lost there.
ADVANCE = {"contact": 0.7, "needs": 0.6, "proposal": 0.55, "negotiation": 0.6}
LOSS_REASONS = ("price", "timing", "competitor", "no decision", "budget cut")
COMPETITORS = ("Initech", "Globex", "Umbrella", None)


@dataclass(frozen=True)
class DemoTeam:
    name: str
    manager: str
    reps: tuple[str, ...]


def teams_of(count: int, reps_per_team: int) -> list[DemoTeam]:
    return [
        DemoTeam(
            name=f"team{t}",
            manager=f"manager{t}",
            reps=tuple(f"rep{t}_{r}" for r in range(reps_per_team)),
        )
        for t in range(count)
    ]


class ActivityGenerator:
    """Plays out the lives of `leads` leads, one after another, each starting a little later."""

    def __init__(
        self,
        app: SalesPipeline,
        *,
        seed: int,
        teams: list[DemoTeam],
        start: datetime = datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        minutes_between_leads: int = 30,
    ) -> None:
        self.app = app
        self.random = random.Random(seed)
        self.teams = teams
        self.start = start
        self.minutes_between_leads = minutes_between_leads

    def run(self, leads: int) -> int:
        """Plays out the leads; returns how many commands were accepted."""
        return sum(self._lead_life(n) for n in range(leads))

    def _lead_life(self, n: int) -> int:
        rnd = self.random
        team = rnd.choice(self.teams)
        rep = rnd.choice(team.reps)
        clock = self._clock(self.start + timedelta(minutes=self.minutes_between_leads * n))
        accepted = 0
        try:
            lead = self.app.capture_lead(
                self._ctx(team.manager, clock),
                source=rnd.choice(SOURCES),
                company=f"Company {n}",
                industry=rnd.choice(INDUSTRIES),
                region=rnd.choice(REGIONS),
                contact={"name": f"Contact {n}", "phone": f"+86 138{n:08d}"[:16]},
                budget=Decimal(rnd.randrange(10_000, 500_000, 1000)),
            ).id
            accepted += 1
            if rnd.random() < 0.85:
                self.app.score_lead(
                    self._ctx(team.manager, clock),
                    lead,
                    budget=Decimal(rnd.randrange(0, 400_000, 1000)),
                    authority=rnd.choice(list(Authority)),
                    need_clear=rnd.random() < 0.6,
                    timeline_days=rnd.choice((7, 14, 30, 60, 90, 180)),
                )
                accepted += 1
            if rnd.random() < 0.2:
                return accepted  # stays in the pool
            if rnd.random() < 0.5:
                self.app.claim_lead(self._ctx(rep, clock, hours=rnd.uniform(0.2, 6)), lead)
            else:
                self.app.assign_lead(
                    self._ctx(team.manager, clock, hours=rnd.uniform(0.2, 6)), lead, rep=rep
                )
            accepted += 1
            for _ in range(rnd.randint(1, 4)):
                self.app.follow_up_lead(
                    self._ctx(rep, clock, hours=rnd.uniform(2, 48)),
                    lead,
                    FollowUp(rnd.choice(METHODS), "talked about needs and timing"),
                )
                accepted += 1
            if rnd.random() < 0.25:
                reason = rnd.choice(("no budget", "not a fit", "unreachable"))
                self.app.disqualify_lead(self._ctx(rep, clock, hours=2), lead, reason=reason)
                return accepted + 1
            if rnd.random() < 0.3:
                self.app.release_lead(self._ctx(rep, clock, hours=1), lead, reason="too busy")
                return accepted + 1
            self.app.qualify_lead(self._ctx(rep, clock, hours=rnd.uniform(1, 24)), lead)
            opp = self.app.convert_lead(
                self._ctx(rep, clock, hours=rnd.uniform(1, 48)),
                lead,
                name=f"Deal {n}",
                amount=Decimal(rnd.randrange(20_000, 800_000, 5000)),
                expected_close=(clock.now + timedelta(days=rnd.randint(20, 120))).date(),
            ).opportunity_id
            accepted += 2
            return accepted + self._deal_life(opp, rep, clock)
        except DomainError:
            return accepted  # e.g. a rep at the claim limit: the lead stays where it is

    def _deal_life(self, opp, rep: str, clock: _Clock) -> int:
        rnd = self.random
        accepted = 0
        for i, stage in enumerate(STAGES):
            if rnd.random() < 0.5:
                self.app.follow_up_opportunity(
                    self._ctx(rep, clock, hours=rnd.uniform(4, 72)),
                    opp,
                    FollowUp(rnd.choice(METHODS), "moved the deal along"),
                )
                accepted += 1
            if rnd.random() > ADVANCE[stage]:
                self.app.lose_opportunity(
                    self._ctx(rep, clock, hours=rnd.uniform(24, 240)),
                    opp,
                    reason=rnd.choice(LOSS_REASONS),
                    competitor=rnd.choice(COMPETITORS),
                )
                return accepted + 1
            if i + 1 < len(STAGES):
                self.app.move_opportunity(
                    self._ctx(rep, clock, hours=rnd.uniform(24, 240)), opp, stage=STAGES[i + 1]
                )
                accepted += 1
            if rnd.random() < 0.15:
                self.app.change_opportunity_amount(
                    self._ctx(rep, clock, hours=1),
                    opp,
                    amount=Decimal(rnd.randrange(20_000, 800_000, 5000)),
                )
                accepted += 1
        self.app.win_opportunity(self._ctx(rep, clock, hours=rnd.uniform(24, 120)), opp)
        return accepted + 1

    @staticmethod
    def _clock(start: datetime) -> _Clock:
        return _Clock(start)

    @staticmethod
    def _ctx(user: str, clock: _Clock, hours: float = 0.0) -> CommandContext:
        return CommandContext(user, clock.advance(hours))


class _Clock:
    """Each lead's own timeline: every step happens some hours after the previous one."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def advance(self, hours: float) -> datetime:
        self.now += timedelta(hours=hours)
        return self.now
