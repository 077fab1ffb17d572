"""The published language: domain events as the versioned JSON envelope of DESIGN.md §4.

Projections, the Kafka relay and analytics consumers all read this envelope, never the
domain's classes, so the public contract is proven sufficient by our own read models.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any
from uuid import UUID, uuid5

from domain.alerts import Alert
from domain.base import SalesAggregate
from domain.contact_vault import (
    ERASED,
    SEALED_FIELDS,
    ContactVault,
    is_sealed,
    revealed_envelope,
)
from domain.json_values import json_ready
from domain.leads import Lead
from domain.opportunities import Opportunity
from domain.pipelines import Pipeline
from domain.rules import RuleBook
from domain.targets import SalesTarget
from domain.teams import TeamMembership

SCHEMA_VERSION = 1

# The public type name of every published event class. Internal bookkeeping events
# (rep workloads) are absent and never leave the store.
PUBLIC_TYPES: dict[type[SalesAggregate.Event], str] = {
    Lead.Captured: "LeadCaptured",
    Lead.Scored: "LeadScored",
    Lead.Claimed: "LeadClaimed",
    Lead.Assigned: "LeadAssigned",
    Lead.Released: "LeadReleased",
    Lead.ReturnedToPool: "LeadReturnedToPool",
    Lead.ReturnWarned: "LeadReturnWarned",
    Lead.ContactOverdue: "LeadContactOverdue",
    Lead.ContactErased: "LeadContactErased",
    Lead.FollowedUp: "LeadFollowedUp",
    Lead.Qualified: "LeadQualified",
    Lead.Disqualified: "LeadDisqualified",
    Lead.Nurtured: "LeadNurtured",
    Lead.Reactivated: "LeadReactivated",
    Lead.Converted: "LeadConverted",
    Lead.DetailsCorrected: "LeadDetailsCorrected",
    Opportunity.Opened: "OpportunityOpened",
    Opportunity.StageChanged: "OpportunityStageChanged",
    Opportunity.AmountChanged: "OpportunityAmountChanged",
    Opportunity.CloseDateChanged: "OpportunityCloseDateChanged",
    Opportunity.Reassigned: "OpportunityReassigned",
    Opportunity.FollowedUp: "OpportunityFollowedUp",
    Opportunity.Won: "OpportunityWon",
    Opportunity.Lost: "OpportunityLost",
    Opportunity.Reopened: "OpportunityReopened",
    Opportunity.LeadSourceCorrected: "OpportunityLeadSourceCorrected",
    Pipeline.Defined: "PipelineDefined",
    Pipeline.Redefined: "PipelineDefined",
    SalesTarget.Set: "TargetSet",
    SalesTarget.Changed: "TargetSet",
    TeamMembership.Joined: "RepMovedToTeam",
    TeamMembership.Moved: "RepMovedToTeam",
    RuleBook.Written: "RulesChanged",
    RuleBook.Rewritten: "RulesChanged",
    Alert.Raised: "AlertRaised",
    Alert.Acknowledged: "AlertAcknowledged",
}

AGGREGATE_TYPES: dict[type[SalesAggregate], str] = {
    Lead: "lead",
    Opportunity: "opportunity",
    Pipeline: "pipeline",
    SalesTarget: "target",
    TeamMembership: "membership",
    RuleBook: "rules",
    Alert: "alert",
}

_ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}
_META_FIELDS = {"actor", "correlation_id", "chain"}


def envelope_of(event: SalesAggregate.Event, position: int | None) -> dict[str, Any] | None:
    """The public envelope of a stored event, or None for an internal one. `position` is the
    store's notification id (None where the event was read from its aggregate's sequence)."""
    type_name = PUBLIC_TYPES.get(type(event))
    if type_name is None:
        return None
    aggregate_type = aggregate_type_of(type(event))
    data = {
        k: json_ready(v)
        for k, v in vars(event).items()
        if k not in _ENVELOPE_FIELDS and k not in _META_FIELDS
    }
    return {
        "id": str(event_id(event.originator_id, event.originator_version)),
        "type": type_name,
        "schema_version": SCHEMA_VERSION,
        "aggregate_type": aggregate_type,
        "aggregate_id": str(event.originator_id),
        "aggregate_version": event.originator_version,
        "position": position,
        "occurred_at": json_ready(event.timestamp),
        "actor": event.actor,
        "correlation_id": event.correlation_id,
        "data": data,
    }


def event_id(aggregate_id: UUID, version: int) -> UUID:
    """Deterministic per aggregate version, so a consumer can drop a redelivered message."""
    return uuid5(aggregate_id, str(version))


def aggregate_type_of(event_class: type) -> str:
    """The aggregate type name (`lead`, …) of a published event class."""
    for aggregate_class, name in AGGREGATE_TYPES.items():
        if event_class.__qualname__.startswith(aggregate_class.__qualname__ + "."):
            return name
    raise LookupError(f"no aggregate type for {event_class.__qualname__}")


# --- personal data: contact details never leave the store in clear ---

PII_CONTACT_FIELDS = SEALED_FIELDS  # name, title, phone, email


def mask_personal_data(
    envelope: dict[str, Any], key: bytes, vault: ContactVault | None = None
) -> dict[str, Any]:
    """The envelope with the contact's name, title, phone and email masked and a keyed hash
    beside each to join on. Sealed values are opened with `vault` first (an erased one is
    published as None, with no hash)."""
    if envelope["type"] not in ("LeadCaptured", "LeadDetailsCorrected"):
        return envelope
    if vault is not None:
        envelope = revealed_envelope(vault, envelope)
    data = envelope["data"]
    if envelope["type"] == "LeadCaptured":
        data = {**data, "contact": _mask_contact(data.get("contact") or {}, key)}
    else:
        changes = dict(data.get("changes") or {})
        for field in PII_CONTACT_FIELDS:
            path = f"contact.{field}"
            if path in changes:
                original = _clear(changes[path])
                changes[path] = None if original is None else mask_value(field, original)
                changes[f"{path}_hash"] = None if original is None else keyed_hash(key, original)
        data = {**data, "changes": changes}
    return {**envelope, "data": data}


def _clear(value: Any) -> str | None:
    """A contact value that may be published masked: not None, not erased, not sealed."""
    return None if value is None or value == ERASED or is_sealed(value) else str(value)


def keyed_hash(key: bytes, value: str) -> str:
    """HMAC-SHA256 of a normalised value: equal inputs join, but the value cannot be read back."""
    return hmac.digest(key, value.strip().lower().encode(), "sha256").hex()  # C one-shot


def _mask_contact(contact: Mapping[str, Any], key: bytes) -> dict[str, Any]:
    masked: dict[str, Any] = {}
    for field in PII_CONTACT_FIELDS:
        value = _clear(contact.get(field))
        masked[field] = None if value is None else mask_value(field, value)
        masked[f"{field}_hash"] = None if value is None else keyed_hash(key, value)
    return masked


def mask_value(field: str, value: str) -> str:
    if field == "email" and "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if field == "phone":
        digits = "".join(c for c in value if c.isdigit())
        return f"***{digits[-4:]}" if len(digits) >= 4 else "***"
    return f"{value[:1]}***" if value else value
