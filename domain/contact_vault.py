"""A lead's contact details sealed with a key of the lead's own, kept outside the events.

The events are immutable and hash-chained, so a contact's personal data cannot be deleted from
them; it can be made unreadable. A lead's name, title, phone and email are stored sealed
(`sealed:v1:…`, encrypted with the lead's key), the chain covers the sealed text, and erasing
the contact deletes the key: every event that held the details still verifies, and none can
be read again. The store provides the vault that holds the keys (`store.contact_keys`); the
domain only seals what it records and opens what it shows.

Events recorded before sealing began hold their details in clear. The vault still answers
ERASED for them once the lead is erased, so no view, envelope or read model shows them again,
but the stored events keep the text (changing them would break the chain).
"""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

SEALED = "sealed:v1:"
ERASED = "[erased]"  # what a view shows instead of an erased value
SEALED_FIELDS = ("name", "title", "phone", "email")  # the contact's personal data


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(SEALED)


class ContactVault(Protocol):
    """Each call takes one lead's fields at once ({field: value}): its key is looked up once,
    not once a field."""

    def seal(self, lead_id: UUID, values: dict[str, str]) -> dict[str, str]:
        """The values sealed with the lead's key (made at the first seal)."""
        ...

    def reveal(
        self, lead_id: UUID, values: dict[str, Any], *, fresh: bool = False
    ) -> dict[str, Any]:
        """The values in clear: opened when sealed, ERASED when the lead was erased (sealed
        or not), as they are otherwise; None stays None. `fresh` asks the key table, not a
        cache of it."""
        ...

    def erase(self, lead_id: UUID, at: str) -> None:
        """Deletes the lead's key for good (a lead without one is marked erased)."""
        ...

    def exported_key(self, lead_id: UUID) -> tuple[str | None, bool]:
        """(the lead's key as an export carries it, whether the lead was erased)."""
        ...

    def restore(self, lead_id: UUID, key: str | None, erased: bool, at: str) -> None:
        """An imported lead's key, or its erasure (an erased key never comes back)."""
        ...


class PlainVault:
    """No sealing: what an application has until the store gives it its vault (the seeded
    benchmark logs, unit tests of other rules). It still remembers erasures, in memory."""

    def __init__(self) -> None:
        self._erased: set[UUID] = set()

    def seal(self, lead_id: UUID, values: dict[str, str]) -> dict[str, str]:
        return values

    def reveal(
        self, lead_id: UUID, values: dict[str, Any], *, fresh: bool = False
    ) -> dict[str, Any]:
        erased = lead_id in self._erased
        return {
            field: value if value is None or not (erased or is_sealed(value)) else ERASED
            for field, value in values.items()
        }

    def erase(self, lead_id: UUID, at: str) -> None:
        self._erased.add(lead_id)

    def exported_key(self, lead_id: UUID) -> tuple[str | None, bool]:
        return None, lead_id in self._erased

    def restore(self, lead_id: UUID, key: str | None, erased: bool, at: str) -> None:
        if erased:
            self.erase(lead_id, at)


def sealed_contact(vault: ContactVault, lead_id: UUID, contact: dict[str, Any]) -> dict[str, Any]:
    """The contact with its personal fields sealed (None stays None)."""
    personal = {f: v for f, v in contact.items() if f in SEALED_FIELDS and isinstance(v, str)}
    return {**contact, **vault.seal(lead_id, personal)} if personal else dict(contact)


def revealed_contact(
    vault: ContactVault, lead_id: UUID, contact: dict[str, Any], *, fresh: bool = False
) -> dict[str, Any]:
    personal = {f: v for f, v in contact.items() if f in SEALED_FIELDS}
    return {**contact, **vault.reveal(lead_id, personal, fresh=fresh)} if personal else contact


def revealed_changes(
    vault: ContactVault, lead_id: UUID, changes: dict[str, Any], *, fresh: bool = False
) -> dict[str, Any]:
    """A correction's changes with its contact paths (`contact.email`, …) in clear."""
    fields = {p.removeprefix("contact."): v for p, v in changes.items() if p.startswith("contact.")}
    opened = revealed_contact(vault, lead_id, fields, fresh=fresh)
    return {**changes, **{f"contact.{f}": v for f, v in opened.items()}}


def revealed_envelope(
    vault: ContactVault, envelope: dict[str, Any], *, fresh: bool = False
) -> dict[str, Any]:
    """A public envelope with the contact details it carries in clear (or ERASED)."""
    data = envelope["data"]
    lead_id = UUID(envelope["aggregate_id"])
    if envelope["type"] == "LeadCaptured":
        contact = revealed_contact(vault, lead_id, data.get("contact") or {}, fresh=fresh)
        data = {**data, "contact": contact}
    elif envelope["type"] == "LeadDetailsCorrected":
        changes = revealed_changes(vault, lead_id, data.get("changes") or {}, fresh=fresh)
        data = {**data, "changes": changes}
    else:
        return envelope
    return {**envelope, "data": data}
