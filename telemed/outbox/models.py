"""One email waiting to be delivered (or delivered)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from telemed.core.clock import now_utc
from telemed.core.types import UTCDateTime, enum_column
from telemed.extensions import Model


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The same announcement to the same person is queued once, however often it is asked.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # An iTIP calendar (REQUEST, CANCEL) sent inline and as an .ics attachment.
    ics: Mapped[str | None] = mapped_column(Text)
    ics_method: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Random per claim: only the run holding this token may record the outcome of a send
    # (a run whose claim lapsed and was taken over finds its token gone and stands back).
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
