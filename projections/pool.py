"""The shared lead pool: active leads that nobody holds, with contact details masked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from projections.base import Envelope, Fold, updating
from projections.state import Doc, DocState

LEAD = "lead:"
ACTIVE = ("open", "qualified")


@dataclass(frozen=True)
class PoolLead:
    id: str
    company: str
    source: str
    industry: str | None
    region: str | None
    contact: dict[str, Any]
    score: int | None
    tier: str | None
    status: str
    captured_at: str
    in_pool_since: str
    previous_rep: str | None


class PoolProjection(Fold):
    """Folds each lead's holder and status; a lead is in the pool while active and unheld."""

    name = "pool"

    def __init__(self) -> None:
        self.handlers = {
            "LeadCaptured": _captured,
            "LeadScored": updating(LEAD, _scored),
            "LeadClaimed": updating(LEAD, _held),
            "LeadAssigned": updating(LEAD, _held),
            "LeadReleased": updating(LEAD, _back_in_pool),
            "LeadReturnedToPool": updating(LEAD, _back_in_pool),
            "LeadQualified": updating(LEAD, _status("qualified")),
            "LeadDisqualified": updating(LEAD, _status("disqualified")),
            "LeadConverted": updating(LEAD, _status("converted")),
            "LeadNurtured": updating(LEAD, _nurtured),
            "LeadReactivated": updating(LEAD, _reactivated),
            "LeadDetailsCorrected": updating(LEAD, _corrected),
        }


def _captured(state: DocState, envelope: Envelope) -> None:
    data, at = envelope["data"], envelope["occurred_at"]
    contact = data["contact"]
    state.put(
        LEAD + envelope["aggregate_id"],
        {
            "company": data["company"],
            "source": data["source"],
            "industry": data.get("industry"),
            "region": data.get("region"),
            # The public envelope carries contact details masked: the pool shows no PII.
            "contact": {f: contact.get(f) for f in ("name", "title", "phone", "email")},
            "score": None,
            "tier": None,
            "status": "open",
            "holder": None,
            "previous_rep": None,
            "captured_at": at,
            "in_pool_since": at,
        },
    )


def _scored(doc: Doc, envelope: Envelope) -> None:
    doc.update(score=envelope["data"]["score"], tier=envelope["data"]["tier"])


def _held(doc: Doc, envelope: Envelope) -> None:
    doc["holder"] = envelope["data"]["rep"]


def _back_in_pool(doc: Doc, envelope: Envelope) -> None:
    doc.update(
        holder=None, previous_rep=envelope["data"]["rep"], in_pool_since=envelope["occurred_at"]
    )


def _status(status: str) -> Callable[[Doc, Envelope], None]:
    def change(doc: Doc, envelope: Envelope) -> None:
        doc["status"] = status

    return change


def _nurtured(doc: Doc, envelope: Envelope) -> None:
    doc.update(status="nurturing", holder=None, previous_rep=doc["holder"])


def _reactivated(doc: Doc, envelope: Envelope) -> None:
    doc.update(status="open", holder=None, in_pool_since=envelope["occurred_at"])


def _corrected(doc: Doc, envelope: Envelope) -> None:
    for path, value in envelope["data"]["changes"].items():
        if path.startswith("contact.") and not path.endswith("_hash"):
            doc["contact"][path.removeprefix("contact.")] = value
        elif path in doc:
            doc[path] = value


def pool_leads(
    state: DocState, tier: str | None = None, source: str | None = None
) -> list[PoolLead]:
    """Leads waiting in the pool, best tier first, then longest waiting."""
    leads = []
    for key, doc in state.scan(LEAD):
        if doc["status"] not in ACTIVE or doc["holder"] is not None:
            continue
        if (tier and doc["tier"] != tier) or (source and doc["source"] != source):
            continue
        fields = {k: v for k, v in doc.items() if k != "holder"}
        leads.append(PoolLead(id=key.removeprefix(LEAD), **fields))
    tier_rank = {"high": 0, "medium": 1, "low": 2, None: 3}
    return sorted(leads, key=lambda lead: (tier_rank.get(lead.tier, 3), lead.in_pool_since))
