"""An email as the outbox hands it to a transport, and what a transport must do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Email:
    to_address: str
    subject: str
    body_text: str
    message_id: str
    body_html: str | None = None
    # An iTIP calendar sent inline (text/calendar; method=...) and as invite.ics.
    ics: str | None = None
    ics_method: str | None = None
    date: datetime | None = None  # the Date header; "now" when not given


class Transport(Protocol):
    def send(self, email: Email) -> None: ...
