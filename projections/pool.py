"""The shared lead pool: active leads that nobody holds, with contact details masked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from projections.base import Envelope
from projections.state import DocState

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


class PoolProjection:
    """Folds each lead's holder and status; a lead is in the pool while active and unheld."""

    name = "pool"

    def apply(self, state: DocState, envelope: Envelope) -> None:
        if envelope["aggregate_type"] != "lead":
            return
        key, kind, data, at = (
            LEAD + envelope["aggregate_id"],
            envelope["type"],
            envelope["data"],
            envelope["occurred_at"],
        )
        if kind == "LeadCaptured":
            contact = data["contact"]
            state.put(
                key,
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
            return
        doc = state.get(key)
        if doc is None:
            return
        if kind == "LeadScored":
            doc.update(score=data["score"], tier=data["tier"])
        elif kind in ("LeadClaimed", "LeadAssigned"):
            doc["holder"] = data["rep"]
        elif kind in ("LeadReleased", "LeadReturnedToPool"):
            doc.update(holder=None, previous_rep=data["rep"], in_pool_since=at)
        elif kind == "LeadQualified":
            doc["status"] = "qualified"
        elif kind in ("LeadDisqualified", "LeadConverted"):
            doc["status"] = "disqualified" if kind == "LeadDisqualified" else "converted"
        elif kind == "LeadNurtured":
            doc.update(status="nurturing", holder=None, previous_rep=doc["holder"])
        elif kind == "LeadReactivated":
            doc.update(status="open", holder=None, in_pool_since=at)
        elif kind == "LeadDetailsCorrected":
            for path, value in data["changes"].items():
                if path.startswith("contact.") and not path.endswith("_hash"):
                    doc["contact"][path.removeprefix("contact.")] = value
                elif path in doc:
                    doc[path] = value
        else:
            return
        state.put(key, doc)


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
