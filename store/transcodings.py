"""How value types the library does not know are written into stored events."""

from __future__ import annotations

from datetime import date

from eventsourcing.persistence import Transcoding


class DateAsISO(Transcoding):
    """A calendar date (an opportunity's expected close) as ISO text; the name is stored."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


TRANSCODINGS = (DateAsISO(),)
