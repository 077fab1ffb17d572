"""Aggregates in responses: plain JSON, contact details masked unless the caller may see them."""

from __future__ import annotations

from typing import Any

from domain.contact_vault import ERASED, ContactVault, revealed_contact
from domain.leads import CONTACT_FIELDS, Lead
from domain.opportunities import Opportunity
from domain.published import PII_CONTACT_FIELDS, json_ready, mask_value


def lead_view(lead: Lead, *, show_contact: bool, vault: ContactVault) -> dict[str, Any]:
    contact = revealed_contact(vault, lead.id, dict(lead.contact), fresh=True)
    if not show_contact:
        contact = {
            f: (mask_value(f, str(v)) if v not in (None, ERASED) and f in PII_CONTACT_FIELDS
                else v)
            for f, v in contact.items()
        }  # fmt: skip
    return json_ready(
        {
            "id": lead.id,
            "version": lead.version,
            "source": lead.source,
            "company": lead.company,
            "industry": lead.industry,
            "region": lead.region,
            "contact": {f: contact.get(f) for f in CONTACT_FIELDS},
            "contact_masked": not show_contact,
            "contact_erased": lead.contact_erased or any(v == ERASED for v in contact.values()),
            "budget": lead.budget,
            "need": lead.need,
            "status": lead.status.value,
            "status_reason": lead.status_reason,
            "holder": lead.holder,
            "held_since": lead.held_since,
            "score": lead.score,
            "tier": lead.tier,
            "bant": lead.bant,
            "follow_up_count": lead.follow_up_count,
            "last_follow_up_at": lead.last_follow_up_at,
            "next_follow_up_at": lead.next_follow_up_at,
            "opportunity_id": lead.opportunity_id,
            "captured_at": lead.created_on,
            "modified_at": lead.modified_on,
        }
    )


def opportunity_view(opp: Opportunity) -> dict[str, Any]:
    return json_ready(
        {
            "id": opp.id,
            "version": opp.version,
            "name": opp.name,
            "customer": opp.customer,
            "owner": opp.owner,
            "amount": opp.amount,
            "currency": opp.currency,
            "product_line": opp.product_line,
            "expected_close": opp.expected_close,
            "stage": opp.stage,
            "stage_entered_at": opp.stage_entered_at,
            "status": opp.status.value,
            "lead_id": opp.lead_id,
            "lost_reason": opp.lost_reason,
            "competitor": opp.competitor,
            "closed_at": opp.closed_at,
            "follow_up_count": opp.follow_up_count,
            "last_follow_up_at": opp.last_follow_up_at,
            "next_follow_up_at": opp.next_follow_up_at,
            "opened_at": opp.created_on,
            "modified_at": opp.modified_on,
        }
    )
