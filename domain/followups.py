"""Follow-ups: every contact with a customer, recorded the same way on leads and opportunities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.errors import InvalidValue


class ContactMethod(StrEnum):
    CALL = "call"
    EMAIL = "email"
    VISIT = "visit"
    DEMO = "demo"
    MEETING = "meeting"
    MESSAGE = "message"


@dataclass(frozen=True)
class FollowUp:
    """What happened in one contact and what comes next."""

    method: str
    summary: str
    feedback: str | None = None
    next_step: str | None = None
    next_follow_up_at: datetime | None = None

    def checked(self, now: datetime) -> dict[str, Any]:
        """The follow-up's event fields, after checking them against the business rules."""
        if self.method not in ContactMethod.__members__.values():
            allowed = ", ".join(m.value for m in ContactMethod)
            raise InvalidValue(f"method must be one of {allowed}", field="method")
        if not self.summary.strip():
            raise InvalidValue("summary must not be empty", field="summary")
        if self.next_follow_up_at is not None:
            if self.next_follow_up_at.tzinfo is None:
                raise InvalidValue(
                    "next_follow_up_at needs a UTC offset", field="next_follow_up_at"
                )
            if self.next_follow_up_at <= now:
                raise InvalidValue(
                    "next_follow_up_at must be in the future", field="next_follow_up_at"
                )
        return {
            "method": self.method,
            "summary": self.summary.strip(),
            "feedback": self.feedback,
            "next_step": self.next_step,
            "next_follow_up_at": self.next_follow_up_at,
        }
