"""Who is invited to each session, what they answered, and personal feed tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from telemed.auth.models import User
from telemed.boards.models import BoardSession
from telemed.core.clock import now_utc
from telemed.core.types import UTCDateTime, enum_column
from telemed.extensions import db


class AttendeeRole(enum.StrEnum):
    """RFC 5545 ROLE values used in invites."""

    CHAIR = "CHAIR"
    REQUIRED = "REQ-PARTICIPANT"
    OPTIONAL = "OPT-PARTICIPANT"


class PartStat(enum.StrEnum):
    NEEDS_ACTION = "NEEDS-ACTION"
    ACCEPTED = "ACCEPTED"
    TENTATIVE = "TENTATIVE"
    DECLINED = "DECLINED"


class SessionAttendee(db.Model):
    """An invitee of a session. ``active`` false means they were sent a cancellation."""

    __tablename__ = "session_attendees"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("board_sessions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[AttendeeRole] = mapped_column(enum_column(AttendeeRole))
    # Why invited: "member", "referring" or "audience".
    reason: Mapped[str] = mapped_column(String(20))
    partstat: Mapped[PartStat] = mapped_column(enum_column(PartStat), default=PartStat.NEEDS_ACTION)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The session SEQUENCE of the last invite (or cancel) queued for this attendee.
    sent_sequence: Mapped[int] = mapped_column(Integer, default=-1)

    session: Mapped[BoardSession] = relationship()
    user: Mapped[User] = relationship(lazy="joined")


class CalendarFeed(db.Model):
    """A user's private feed URL: only the token's SHA-256 is stored; regenerating revokes."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
