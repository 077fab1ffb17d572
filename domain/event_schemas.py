"""The published envelope and each event type's `data`, as pydantic models (catalog v1).

These describe what leaves the store, as analytics consumers receive it on Kafka: contact
details masked, money as JSON numbers, times as ISO-8601 strings. Changing an event means a new
schema_version with an upcaster, never an edit here; optional fields may be added freely.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.published import SCHEMA_VERSION

Money = float
Rep = str
Method = Literal["call", "email", "visit", "demo", "meeting", "message"]


class Data(BaseModel):
    model_config = ConfigDict(extra="allow")


class MaskedContact(BaseModel):
    """Contact details as published: masked, with keyed hashes to join on (no PII)."""

    name: str | None = Field(None, description="masked, e.g. 'L***'; None once erased")
    title: str | None = Field(None, description="masked, e.g. 'C***'")
    phone: str | None = Field(None, description="masked, e.g. '***1234'")
    email: str | None = Field(None, description="masked, e.g. 'l***@acme.cn'")
    name_hash: str | None = Field(None, description="HMAC-SHA256 of the normalised value")
    title_hash: str | None = None
    phone_hash: str | None = None
    email_hash: str | None = None


class LeadCaptured(Data):
    source: str
    company: str
    industry: str | None = None
    region: str | None = None
    contact: MaskedContact
    budget: Money | None = None
    need: str | None = None
    product_line: str | None = None


class LeadScored(Data):
    budget: Money
    authority: Literal["staff", "manager", "director", "executive"]
    need_clear: bool
    timeline_days: int
    score: int
    tier: Literal["high", "medium", "low"]


class LeadClaimed(Data):
    rep: Rep


class Candidate(BaseModel):
    rep: Rep
    skipped: str | None = Field(description="why this rep was passed over; null for the chosen")


class LeadAssigned(Data):
    rep: Rep
    rule: str | None = Field(None, description="the assignment rule's name; absent if manual")
    previous_rep: Rep | None = None
    rule_version: int | None = Field(None, description="the version of the assignment rules")
    candidates: list[Candidate] | None = Field(
        None, description="the reps the rule considered, in turn, up to the one chosen"
    )


class LeadReleased(Data):
    rep: Rep
    reason: str


class LeadReturnedToPool(Data):
    rep: Rep
    reason: Literal["no_follow_up", "no_opportunity", "rep_left", "manual"]
    idle_days: int | None = Field(
        None, description="days without what the rule asks (a follow-up, an opportunity)"
    )
    rule: str | None = Field(None, description="the pool rule that returned it; absent if manual")
    rule_version: int | None = Field(None, description="the version of the pool rules")
    due_at: datetime | None = Field(None, description="when it fell due (the return may be later)")


class LeadContactErased(Data):
    """The lead's contact details were erased (right to erasure): its key is deleted, so the
    stored details can never be read again. Delete any copy of them you keep."""

    fields: list[Literal["name", "title", "phone", "email"]]


class LeadContactOverdue(Data):
    """The holder's first contact is later than the tier's SLA (high 24 h, medium 48 h)."""

    rep: Rep
    due_at: datetime
    tier: Literal["high", "medium"]


class LeadReturnWarned(Data):
    """The holder is warned that the lead goes back to the pool at `due_at` unless they act."""

    rep: Rep
    due_at: datetime
    rule: str
    rule_version: int


class FollowedUp(Data):
    rep: Rep
    method: Method
    summary: str
    feedback: str | None = None
    next_step: str | None = None
    next_follow_up_at: datetime | None = None


class LeadFollowedUp(FollowedUp):
    pass


class LeadQualified(Data):
    pass


class LeadDisqualified(Data):
    reason: str


class LeadNurtured(Data):
    reason: str | None = None
    previous_rep: Rep | None = None


class LeadReactivated(Data):
    reason: str | None = Field(
        None, description="re_evaluation: its time in nurture was up; absent when by hand"
    )


class LeadConverted(Data):
    opportunity_id: UUID


class LeadDetailsCorrected(Data):
    changes: dict[str, Any] = Field(
        description="field path → new value; contact.name/title/phone/email masked, with a "
        "contact.<field>_hash beside each"
    )


class OpportunityOpened(Data):
    name: str
    customer: str
    owner: Rep
    amount: Money
    currency: str
    product_line: str
    expected_close: date
    stage: str
    lead_id: UUID | None = None
    lead_source: str | None = Field(
        None, description="the lead's source when it was converted (absent before 2026-12)"
    )


class OpportunityStageChanged(Data):
    from_stage: str
    to_stage: str


class OpportunityAmountChanged(Data):
    amount: Money


class OpportunityCloseDateChanged(Data):
    expected_close: date


class OpportunityReassigned(Data):
    from_rep: Rep
    to_rep: Rep
    reason: str | None = Field(None, description="why, when not a manager's choice: rep_left")


class OpportunityFollowedUp(FollowedUp):
    pass


class OpportunityWon(Data):
    amount: Money


class OpportunityLost(Data):
    stage: str = Field(description="the stage it was lost in")
    reason: str
    competitor: str | None = None


class OpportunityReopened(Data):
    stage: str


class OpportunityLeadSourceCorrected(Data):
    """The source of the deal's lead was corrected (LeadDetailsCorrected, same commit): the
    deal counts for this source from now on."""

    lead_source: str


class Stage(BaseModel):
    key: str
    name: str
    probability: float = Field(ge=0, le=1)
    expected_days: int | None = Field(None, description="longer in the stage, a deal is stale")


class PipelineDefined(Data):
    product_line: str
    stages: list[Stage]


class TargetSet(Data):
    """A year's target (a new one supersedes the old from its time on); money as numbers."""

    year: int
    company: Money
    by_month: dict[str, Money] = Field(description="YYYY-MM: amount; other months share the rest")
    by_team: dict[str, Money]
    by_rep: dict[str, Money]


class RepMovedToTeam(Data):
    """A user joined a team, moved to another, or left theirs (`team` null); their work from
    this moment counts for the new team."""

    rep: Rep
    team: str | None
    previous_team: str | None = Field(
        description="the team before; on the first membership, the user directory's"
    )


class RulesChanged(Data):
    """An admin wrote one kind of automation rule; the aggregate version is the rules'."""

    kind: Literal["pool", "claims", "assignment", "nurture", "alerts"]
    definition: dict[str, Any] = Field(
        description="pool: {rules: [{name, team, tier, source, idle_days, no_opportunity_days, "
        "warn_days, since}]}; claims: {max_held, max_per_day, reclaim_cooldown_days}; "
        "assignment: {rules: [{name, match, team, rep, tag}]}; nurture: {low_to_nurture, "
        "review_after_days}; alerts: {quiet_rep_days, untouched_lead_days}"
    )


class AlertRaised(Data):
    """Something for a rep (audience `rep`) or for the managers of `team` to act on."""

    kind: Literal[
        "return_warning", "sla_breach", "follow_up_due", "re_evaluation", "quiet_rep",
        "untouched_lead", "stale_deal", "deal_lost_late", "after_sale_call",
    ]  # fmt: skip
    audience: Literal["rep", "manager"]
    rep: Rep | None = Field(description="the rep it is for (audience rep) or about")
    team: str | None = Field(description="the rep's team; its managers see every alert of it")
    subject_type: Literal["lead", "opportunity", "rep"]
    subject_id: str = Field(description="the lead's or deal's id, or the rep's name")
    message: str
    due_at: datetime | None = Field(None, description="when the thing it warns of falls due")
    facts: dict[str, Any] = Field(description="what raised it: the rule, its version, the days")


class AlertAcknowledged(Data):
    by: Rep


D = TypeVar("D", bound=Data)


class Envelope(BaseModel, Generic[D]):
    """Every message's value: who did what to which aggregate, when, and the event's data."""

    id: UUID = Field(description="deterministic from aggregate id and version: drop duplicates")
    type: str
    schema_version: Literal[1]
    aggregate_type: Literal[
        "lead", "opportunity", "pipeline", "target", "membership", "rules", "alert"
    ]
    aggregate_id: UUID
    aggregate_version: int = Field(ge=1)
    position: int = Field(ge=1, description="the event store's notification id")
    occurred_at: datetime
    actor: str
    correlation_id: str
    data: D


DATA_MODELS: dict[str, type[Data]] = {
    model.__name__: model
    for model in (
        LeadCaptured, LeadScored, LeadClaimed, LeadAssigned, LeadReleased, LeadReturnedToPool,
        LeadFollowedUp, LeadQualified, LeadDisqualified, LeadNurtured, LeadReactivated,
        LeadConverted, LeadDetailsCorrected, OpportunityOpened, OpportunityStageChanged,
        OpportunityAmountChanged, OpportunityCloseDateChanged, OpportunityReassigned,
        OpportunityFollowedUp, OpportunityWon, OpportunityLost, OpportunityReopened,
        OpportunityLeadSourceCorrected,
        PipelineDefined, TargetSet, RepMovedToTeam, LeadReturnWarned, RulesChanged,
        AlertRaised, AlertAcknowledged, LeadContactOverdue, LeadContactErased,
    )
}  # fmt: skip


def json_schema(event_type: str) -> dict[str, Any]:
    """The JSON Schema of one event type's whole message (envelope and data)."""
    model = Envelope[DATA_MODELS[event_type]]  # type: ignore[index]
    schema = model.model_json_schema()
    schema["title"] = f"{event_type} v{SCHEMA_VERSION}"
    schema["properties"]["type"] = {"const": event_type, "title": "Type", "type": "string"}
    return schema


def all_json_schemas() -> dict[str, dict[str, Any]]:
    return {event_type: json_schema(event_type) for event_type in sorted(DATA_MODELS)}
