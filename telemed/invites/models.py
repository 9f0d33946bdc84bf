"""Who is invited to each session, what they answered, and personal feed tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from telemed.core.clock import now_utc
from telemed.core.types import UTCDateTime
from telemed.extensions import Model


class CalendarFeed(Model):
    """A user's private feed URL: only the token's SHA-256 is stored; regenerating revokes."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
