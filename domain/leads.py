"""The Lead aggregate: from capture through the shared pool to conversion or disqualification."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from domain.base import SalesAggregate
from domain.checks import require_non_negative, require_text
from domain.claims import Workload, claim_refusal
from domain.contact_vault import (
    ERASED,
    SEALED_FIELDS,
    ContactVault,
    revealed_changes,
    sealed_contact,
)
from domain.context import CommandContext
from domain.errors import InvalidValue, NotAllowedNow
from domain.followups import FollowUp
from domain.pool_clock import HeldLead, ReturnDeadline
from domain.rules import ClaimPolicy
from domain.scoring import Authority, ScoringRules


class LeadStatus(StrEnum):
    OPEN = "open"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"
    NURTURING = "nurturing"
    CONVERTED = "converted"


ACTIVE_STATUSES = (LeadStatus.OPEN, LeadStatus.QUALIFIED)
RETURN_REASONS = ("no_follow_up", "no_opportunity", "rep_left", "manual")
CONTACT_FIELDS = ("name", "title", "phone", "email")
CORRECTABLE_FIELDS = ("source", "company", "industry", "region", "budget", "need") + tuple(
    f"contact.{f}" for f in CONTACT_FIELDS
)


class Lead(SalesAggregate):
    """A prospective customer: belongs to the company, held by at most one rep at a time."""

    class Captured(SalesAggregate.Created):
        source: str
        company: str
        industry: str | None
        region: str | None
        contact: dict[str, Any]
        budget: Decimal | None
        need: str | None
        product_line: str | None = None  # the product it is about, if known (events before lack it)

        def apply(self, lead: Lead) -> None:
            lead.product_line = self.product_line
            lead.source = self.source
            lead.company = self.company
            lead.industry = self.industry
            lead.region = self.region
            lead.contact = dict(self.contact)
            lead.budget = self.budget
            lead.need = self.need
            lead.status = LeadStatus.OPEN
            lead.holder = None
            lead.held_since = None
            lead.score = None
            lead.tier = None
            lead.bant = None
            lead.follow_up_count = 0
            lead.last_follow_up_at = None
            lead.next_follow_up_at = None
            lead.opportunity_id = None
            lead.status_reason = None
            lead.returned_from = {}
            lead.warned_of_return_at = None
            lead.first_contact_at = None
            lead.nurtured_at = None
            lead.nurtured_from = None
            lead.contact_overdue_for = None
            lead.contact_erased = False

    class Scored(SalesAggregate.Event):
        budget: Decimal
        authority: str
        need_clear: bool
        timeline_days: int
        score: int
        tier: str

        def apply(self, lead: Lead) -> None:
            lead.score = self.score
            lead.tier = self.tier
            lead.bant = {
                "budget": self.budget,
                "authority": self.authority,
                "need_clear": self.need_clear,
                "timeline_days": self.timeline_days,
            }

    class Claimed(SalesAggregate.Event):
        rep: str

        def apply(self, lead: Lead) -> None:
            lead._take(self.rep, self.timestamp)

    class Assigned(SalesAggregate.Event):
        rep: str
        rule: str | None
        previous_rep: str | None
        # set when an assignment rule chose the rep (events stored before rules lack them)
        rule_version: int | None = None
        candidates: list[dict[str, Any]] | None = None

        def apply(self, lead: Lead) -> None:
            lead._take(self.rep, self.timestamp)

    class Released(SalesAggregate.Event):
        rep: str
        reason: str

        def apply(self, lead: Lead) -> None:
            lead._give_back(self.rep, self.timestamp)

    class ReturnedToPool(SalesAggregate.Event):
        rep: str
        reason: str
        idle_days: int | None
        # set when a pool rule returned it (events stored before rules existed lack them)
        rule: str | None = None
        rule_version: int | None = None
        due_at: datetime | None = None

        def apply(self, lead: Lead) -> None:
            lead._give_back(self.rep, self.timestamp)

    class ReturnWarned(SalesAggregate.Event):
        """The holder is told the lead goes back to the pool at `due_at` unless they act."""

        rep: str
        due_at: datetime
        rule: str
        rule_version: int

        def apply(self, lead: Lead) -> None:
            lead.warned_of_return_at = self.due_at

    class FollowedUp(SalesAggregate.Event):
        rep: str
        method: str
        summary: str
        feedback: str | None
        next_step: str | None
        next_follow_up_at: datetime | None

        def apply(self, lead: Lead) -> None:
            lead.follow_up_count += 1
            lead.last_follow_up_at = self.timestamp
            if lead.first_contact_at is None:
                lead.first_contact_at = self.timestamp
            lead.next_follow_up_at = self.next_follow_up_at

    class Qualified(SalesAggregate.Event):
        def apply(self, lead: Lead) -> None:
            lead.status = LeadStatus.QUALIFIED

    class Disqualified(SalesAggregate.Event):
        reason: str

        def apply(self, lead: Lead) -> None:
            lead.status = LeadStatus.DISQUALIFIED
            lead.status_reason = self.reason

    class Nurtured(SalesAggregate.Event):
        reason: str | None
        previous_rep: str | None

        def apply(self, lead: Lead) -> None:
            lead.status = LeadStatus.NURTURING
            lead.status_reason = self.reason
            lead.nurtured_at = self.timestamp
            lead.nurtured_from = self.previous_rep
            lead._give_up()

    class Reactivated(SalesAggregate.Event):
        # "re_evaluation" when its nurture time was up (events before automation lack it)
        reason: str | None = None

        def apply(self, lead: Lead) -> None:
            lead.status = LeadStatus.OPEN
            lead.status_reason = None
            lead.nurtured_at = None
            lead._give_up()

    class ContactOverdue(SalesAggregate.Event):
        """The holder's first contact is later than the tier's SLA allows."""

        rep: str
        due_at: datetime
        tier: str

        def apply(self, lead: Lead) -> None:
            lead.contact_overdue_for = self.due_at

    class Converted(SalesAggregate.Event):
        opportunity_id: UUID

        def apply(self, lead: Lead) -> None:
            lead.status = LeadStatus.CONVERTED
            lead.opportunity_id = self.opportunity_id

    class DetailsCorrected(SalesAggregate.Event):
        changes: dict[str, Any]

        def apply(self, lead: Lead) -> None:
            for path, value in self.changes.items():
                if path.startswith("contact."):
                    lead.contact[path.removeprefix("contact.")] = value
                else:
                    setattr(lead, path, value)

    class ContactErased(SalesAggregate.Event):
        """The contact's personal data erased: its key deleted, its sealed values unreadable."""

        fields: list[str]

        def apply(self, lead: Lead) -> None:
            lead.contact = {
                f: (ERASED if f in self.fields and v is not None else v)
                for f, v in lead.contact.items()
            }
            lead.contact_erased = True

    # State set by the events' apply(); declared for readers and type checkers only, since
    # class annotations would become constructor fields of the aggregate.
    if TYPE_CHECKING:
        source: str
        company: str
        industry: str | None
        region: str | None
        contact: dict[str, Any]
        budget: Decimal | None
        need: str | None
        product_line: str | None
        status: LeadStatus
        holder: str | None
        held_since: datetime | None
        score: int | None
        tier: str | None
        bant: dict[str, Any] | None
        follow_up_count: int
        last_follow_up_at: datetime | None
        next_follow_up_at: datetime | None
        opportunity_id: UUID | None
        status_reason: str | None
        returned_from: dict[str, datetime]  # rep → when the lead last went back from them
        warned_of_return_at: datetime | None  # the deadline its holder was last warned of
        first_contact_at: datetime | None  # the holder's first follow-up since they got it
        nurtured_at: datetime | None  # when it went to nurture, while it is there
        nurtured_from: str | None  # the rep who held it then
        contact_overdue_for: datetime | None  # the first-contact deadline recorded as breached
        contact_erased: bool  # its contact's personal data was erased

    # --- commands: the public method decides, the event's apply() records ---

    @classmethod
    def capture(
        cls,
        ctx: CommandContext,
        *,
        source: str,
        company: str,
        contact: dict[str, Any],
        vault: ContactVault,
        industry: str | None = None,
        region: str | None = None,
        budget: Decimal | None = None,
        need: str | None = None,
        product_line: str | None = None,
    ) -> Lead:
        require_text(source, "source")
        require_text(company, "company")
        require_text(str(contact.get("name") or ""), "contact.name")
        unknown = set(contact) - set(CONTACT_FIELDS)
        if unknown:
            raise InvalidValue(f"unknown contact field {sorted(unknown)[0]}", field="contact")
        require_non_negative(budget, "budget")
        lead_id = uuid4()  # known before the event: the contact is sealed with the lead's key
        return cls._open(
            cls.Captured,
            ctx,
            id=lead_id,
            source=source.strip(),
            company=company.strip(),
            industry=industry,
            region=region,
            contact=sealed_contact(vault, lead_id, {k: contact.get(k) for k in CONTACT_FIELDS}),
            budget=budget,
            need=need,
            product_line=product_line,
        )

    def score_bant(
        self,
        ctx: CommandContext,
        rules: ScoringRules,
        *,
        budget: Decimal,
        authority: Authority,
        need_clear: bool,
        timeline_days: int,
    ) -> None:
        self._check_not_closed()
        score, tier = rules.score(budget, authority, need_clear, timeline_days)
        self._record(
            self.Scored,
            ctx,
            budget=budget,
            authority=authority.value,
            need_clear=need_clear,
            timeline_days=timeline_days,
            score=score,
            tier=tier.value,
        )

    def claim(self, ctx: CommandContext, policy: ClaimPolicy, workload: Workload) -> None:
        """The acting rep takes the lead from the pool, within the claim policy."""
        self._check_active()
        if self.holder is not None:
            raise LeadAlreadyHeld(f"lead is already held by {self.holder}")
        returned_at = self.returned_from.get(ctx.actor)
        refusal = claim_refusal(policy, workload, ctx.at, returned_at)
        if refusal is not None:
            raise refusal
        self._record(self.Claimed, ctx, rep=ctx.actor)

    def assign(
        self,
        ctx: CommandContext,
        *,
        rep: str,
        rule: str | None = None,
        rule_version: int | None = None,
        candidates: list[dict[str, Any]] | None = None,
    ) -> None:
        """A manager (or an assignment rule, with the reps it considered) gives the lead to a
        rep."""
        self._check_active()
        require_text(rep, "rep")
        if self.holder == rep:
            raise LeadAlreadyHeld(f"lead is already held by {rep}", field="rep")
        self._record(
            self.Assigned, ctx, rep=rep, rule=rule, previous_rep=self.holder,
            rule_version=rule_version, candidates=candidates,
        )  # fmt: skip

    def assignment_facts(self) -> dict[str, str | None]:
        """What an assignment rule matches a lead on."""
        return {"source": self.source, "region": self.region, "industry": self.industry,
                "product_line": self.product_line}  # fmt: skip

    def release(self, ctx: CommandContext, *, reason: str) -> None:
        """The holder gives the lead back to the pool."""
        require_text(reason, "reason")
        holder = self._check_held()
        self._record(self.Released, ctx, rep=holder, reason=reason.strip())

    def return_to_pool(
        self, ctx: CommandContext, *, reason: str, idle_days: int | None = None
    ) -> None:
        """The company takes the lead back (the rep left, a manager decided)."""
        if reason not in RETURN_REASONS:
            raise InvalidValue(f"reason must be one of {', '.join(RETURN_REASONS)}", "reason")
        holder = self._check_held()
        self._record(self.ReturnedToPool, ctx, rep=holder, reason=reason, idle_days=idle_days)

    def return_when_due(self, ctx: CommandContext, deadline: ReturnDeadline | None) -> None:
        """A pool rule takes the lead back: `deadline` is the lead's under the rules in force,
        worked out from this lead's own state (`Lead.held`), and must have fallen by now."""
        holder = self._check_held()
        if deadline is None or deadline.due_at > ctx.at:
            raise NotDueYet(_not_due(deadline))
        self._record(
            self.ReturnedToPool, ctx, rep=holder, reason=deadline.reason,
            idle_days=deadline.idle_days, rule=deadline.rule,
            rule_version=deadline.rule_version, due_at=deadline.due_at,
        )  # fmt: skip

    def warn_of_return(self, ctx: CommandContext, deadline: ReturnDeadline | None) -> None:
        """Tells the holder, once per deadline, that the lead is about to go back."""
        holder = self._check_held()
        if deadline is None or ctx.at < deadline.warn_at or ctx.at >= deadline.due_at:
            raise NotDueYet("no return warning is due for the lead now")
        if self.warned_of_return_at == deadline.due_at:
            raise NotDueYet(f"{holder} was warned of this return already")
        self._record(
            self.ReturnWarned, ctx, rep=holder, due_at=deadline.due_at, rule=deadline.rule,
            rule_version=deadline.rule_version,
        )  # fmt: skip

    def log_follow_up(self, ctx: CommandContext, follow_up: FollowUp) -> None:
        self._check_not_closed()
        self._check_held()
        self._record(self.FollowedUp, ctx, rep=ctx.actor, **follow_up.checked(ctx.at))

    def qualify(self, ctx: CommandContext) -> None:
        if self.status != LeadStatus.OPEN:
            raise LeadStatusConflict(f"only an open lead can be qualified; it is {self.status}")
        self._record(self.Qualified, ctx)

    def disqualify(self, ctx: CommandContext, *, reason: str) -> None:
        require_text(reason, "reason")
        self._check_not_closed()
        self._record(self.Disqualified, ctx, reason=reason.strip())

    def nurture(self, ctx: CommandContext, *, reason: str | None = None) -> None:
        """Park a lead that is not ready to buy in the nurture pool, to be re-evaluated later."""
        self._check_active()
        self._record(self.Nurtured, ctx, reason=reason, previous_rep=self.holder)

    def reactivate(self, ctx: CommandContext) -> None:
        if self.status not in (LeadStatus.NURTURING, LeadStatus.DISQUALIFIED):
            raise LeadStatusConflict(
                f"only a nurtured or disqualified lead can be reactivated; it is {self.status}"
            )
        self._record(self.Reactivated, ctx)

    def reevaluate(self, ctx: CommandContext, *, after: timedelta) -> datetime:
        """A nurtured lead whose time in nurture (`after`) is up goes back to the pool to be
        scored again; returns when it fell due."""
        if self.status != LeadStatus.NURTURING or self.nurtured_at is None:
            raise LeadStatusConflict(f"only a nurtured lead is re-evaluated; it is {self.status}")
        due = self.nurtured_at + after
        if due > ctx.at:
            raise NotDueYet(f"the lead is due for re-evaluation on {due.isoformat()}")
        self._record(self.Reactivated, ctx, reason="re_evaluation")
        return due

    def record_contact_overdue(self, ctx: CommandContext, rules: ScoringRules) -> datetime:
        """The first contact is late under the tier's SLA: recorded once per holding."""
        due = self.contact_due_at(rules)
        if due is None or self.holder is None or self.first_contact_at is not None:
            raise NotDueYet("no first-contact deadline is running for the lead")
        if due >= ctx.at:
            raise NotDueYet(f"the first contact is due by {due.isoformat()}")
        if self.contact_overdue_for == due:
            raise NotDueYet("the breach was recorded already")
        self._record(self.ContactOverdue, ctx, rep=self.holder, due_at=due, tier=self.tier)
        return due

    def convert(self, ctx: CommandContext, *, opportunity_id: UUID) -> None:
        if self.status == LeadStatus.DISQUALIFIED:
            raise LeadStatusConflict("a disqualified lead cannot be converted")
        self._check_active()
        self._record(self.Converted, ctx, opportunity_id=opportunity_id)

    def correct_details(
        self, ctx: CommandContext, changes: dict[str, Any], vault: ContactVault
    ) -> None:
        unknown = set(changes) - set(CORRECTABLE_FIELDS)
        if unknown:
            raise InvalidValue(f"{sorted(unknown)[0]} cannot be corrected", field="changes")
        for required in ("source", "company", "contact.name"):
            if required in changes:
                require_text(str(changes[required] or ""), required)
        if "budget" in changes:
            budget = changes["budget"]
            if budget is not None and (
                isinstance(budget, bool) or not isinstance(budget, int | Decimal)
            ):
                raise InvalidValue("budget must be a number", field="changes.budget")
            require_non_negative(budget, "budget")
        if self.contact_erased and any(k.startswith("contact.") for k in changes):
            raise LeadStatusConflict("the lead's contact was erased; capture it anew instead")
        current = revealed_changes(vault, self.id, {k: self._detail(k) for k in changes})
        actual = {k: v for k, v in changes.items() if current[k] != v}
        if not actual:
            raise InvalidValue("the corrections change nothing", field="changes")
        contact = sealed_contact(
            vault, self.id, {k.removeprefix("contact."): v for k, v in actual.items()
                             if k.startswith("contact.")},
        )  # fmt: skip
        actual |= {f"contact.{k}": v for k, v in contact.items()}
        self._record(self.DetailsCorrected, ctx, changes=actual)

    def erase_contact(self, ctx: CommandContext) -> None:
        if self.contact_erased:
            raise LeadStatusConflict("the lead's contact was erased already")
        self._record(self.ContactErased, ctx, fields=list(SEALED_FIELDS))

    # --- queries ---

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def held(self, team: str | None) -> HeldLead:
        """The facts a pool rule looks at; `team` is the holder's."""
        return HeldLead(
            holder=self.holder, status=self.status.value, held_since=self.held_since,
            last_follow_up_at=self.last_follow_up_at, team=team, tier=self.tier,
            source=self.source,
        )  # fmt: skip

    def contact_due_at(self, rules: ScoringRules) -> datetime | None:
        """When the holder's first contact is due under the tier's SLA (high 24 h, medium 48 h
        from when they got the lead), or None where no SLA applies."""
        return rules.contact_due(self.tier, self.held_since) if self.is_active else None

    def active_holder(self) -> str | None:
        """The rep whose workload this lead counts against, if any."""
        return self.holder if self.is_active else None

    # --- helpers used by apply() ---

    def _take(self, rep: str, at: datetime) -> None:
        self.holder = rep
        self.held_since = at
        self.first_contact_at = None

    def _give_up(self) -> None:
        self.holder = None
        self.held_since = None

    def _give_back(self, rep: str, at: datetime) -> None:
        self._give_up()
        self.returned_from = {**self.returned_from, rep: at}

    def _detail(self, path: str) -> Any:
        if path.startswith("contact."):
            return self.contact.get(path.removeprefix("contact."))
        return getattr(self, path)

    def _check_active(self) -> None:
        if not self.is_active:
            raise LeadStatusConflict(f"lead is {self.status}")

    def _check_not_closed(self) -> None:
        if self.status in (LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED):
            raise LeadStatusConflict(f"lead is {self.status}")

    def _check_held(self) -> str:
        if self.holder is None:
            raise LeadNotHeld("lead is in the pool; claim it first")
        return self.holder


class LeadStatusConflict(NotAllowedNow):
    """The lead's status does not allow the command."""


class LeadAlreadyHeld(NotAllowedNow):
    """Someone already holds the lead."""


class LeadNotHeld(NotAllowedNow):
    """The lead sits in the pool, so there is no holder to act for it."""


class NotDueYet(NotAllowedNow):
    """A pool rule's deadline has not fallen (or its warning was given already)."""


def _not_due(deadline: ReturnDeadline | None) -> str:
    if deadline is None:
        return "no pool rule returns the lead"
    return f"the lead is not due back in the pool until {deadline.due_at.isoformat()}"
