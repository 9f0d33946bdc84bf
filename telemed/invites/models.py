"""Who is invited to each session, what they answered, and personal feed tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
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


class CalendarEvent(Model):
    """One session's VEVENT as it was last written, per variant and language, so feeds and
    invitations assemble stored text instead of building every event again.

    ``fingerprint`` digests everything the event shows (``invites.event_cache``): a row
    whose fingerprint no longer matches is built again and overwritten. Only the parts every
    reader shares are kept: DTSTAMP and the ATTENDEE lines are added per calendar.
    """

    __tablename__ = "calendar_events"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("board_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    # "plain" (feeds, downloads, REQUEST), "topics" (public board feeds), "cancel" (CANCEL).
    variant: Mapped[str] = mapped_column(String(10), primary_key=True)
    language: Mapped[str] = mapped_column(String(10), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    # The event's properties, folded content lines (no DTSTAMP, no ATTENDEE).
    properties: Mapped[str] = mapped_column(Text)
    # Its VALARM component (empty when the event has none).
    alarm: Mapped[str] = mapped_column(Text)
    # The TZIDs its times refer to (space-separated), whose VTIMEZONEs a calendar must carry.
    tzids: Mapped[str] = mapped_column(String(200))
