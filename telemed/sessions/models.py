"""Sessions of a board, their agenda entries, scheduling flags and attendees (invitees)."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from telemed.auth.models import User
from telemed.boards.models import Board, SessionKind
from telemed.cases.models import Case
from telemed.core.clock import now_utc
from telemed.core.types import UTCDateTime, enum_column
from telemed.extensions import Model


class SessionStatus(enum.StrEnum):
    PLANNED = "planned"
    AGENDA_CLOSED = "agenda_closed"
    HELD = "held"
    CANCELLED = "cancelled"


class ItemOutcome(enum.StrEnum):
    """What became of an agenda entry; only ``PENDING`` entries hold a place."""

    PENDING = "pending"
    DISCUSSED = "discussed"
    NOT_DISCUSSED = "not_discussed"
    DEFERRED = "deferred"
    REMOVED = "removed"
    MOVED = "moved"
    SESSION_CHANGED = "session_changed"
    WITHDRAWN = "withdrawn"


# The room opens, and outcomes may be recorded, from shortly before the start (members
# gather early).
DECIDE_FROM = timedelta(hours=1)

# Sessions still to come (their invites, RSVPs and agendas may change).
UPCOMING = (SessionStatus.PLANNED, SessionStatus.AGENDA_CLOSED)

# Entries that are (or were, once held) a session's business.
AGENDA_OUTCOMES = (
    ItemOutcome.PENDING,
    ItemOutcome.DISCUSSED,
    ItemOutcome.NOT_DISCUSSED,
    ItemOutcome.DEFERRED,
)


class DeferralReason(enum.StrEnum):
    """Why the meeting deferred a case (the network counts deferrals for missing material)."""

    MISSING_MATERIAL = "missing_material"
    NO_TIME = "no_time"
    OTHER = "other"


class BoardSession(Model):
    """One meeting of a board. ``booked`` counts pending agenda entries (capacity guard)."""

    __tablename__ = "board_sessions"
    __table_args__ = (
        # Named: the naming convention would call both "uq_board_sessions_board_id",
        # which PostgreSQL refuses (one index name per schema).
        UniqueConstraint("board_id", "number", name="uq_board_sessions_board_id_number"),
        UniqueConstraint(
            "board_id", "occurrence_key", name="uq_board_sessions_board_id_occurrence_key"
        ),
        Index("ix_board_sessions_open", "board_id", "status", "cutoff_at"),
        # The session list's order and its page cursor (``core.keyset``): start, then id.
        Index("ix_board_sessions_start_id", "starts_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[SessionKind] = mapped_column(enum_column(SessionKind))
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus), default=SessionStatus.PLANNED
    )
    # The recurrence instance this session stands for (local ISO time); None if extraordinary.
    occurrence_key: Mapped[str | None] = mapped_column(String(32))
    extraordinary: Mapped[bool] = mapped_column(Boolean, default=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    cutoff_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    room_url: Mapped[str] = mapped_column(String(300))
    topic: Mapped[str | None] = mapped_column(String(300))
    speaker: Mapped[str | None] = mapped_column(String(200))
    audience: Mapped[str | None] = mapped_column(String(200))
    order_of_business: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # Grows on every change of time, room or status (calendar invites build on it).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # Grows whenever who should be invited may have changed (agenda or members); the invite
    # job brings the attendees in line and records what it has seen.
    roster_version: Mapped[int] = mapped_column(Integer, default=0)
    # Grows whenever what the agenda shows may have changed (an entry placed, moved,
    # reordered or decided; the order of business stored): calendars stored per session
    # (``invites.event_cache``) are built again when it moves. ORM writes bump it by
    # themselves (``sessions.agenda_version``); writers around the ORM bump it in their SQL.
    agenda_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    invites_sequence: Mapped[int] = mapped_column(Integer, default=-1)
    invites_roster: Mapped[int] = mapped_column(Integer, default=-1)
    # Training/keynote audience: "everyone", "centre:<id>" or "discipline:<value>".
    audience_scope: Mapped[str | None] = mapped_column(String(60))
    # What actually happened, recorded in the room (the minutes read them).
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    general_matters: Mapped[str | None] = mapped_column(Text)
    # Set when the minutes are finalised: from then on the record is read-only (the room,
    # its outcomes and agreements); corrections go in the minutes' addenda.
    minutes_final_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    board: Mapped[Board] = relationship(lazy="joined")
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="session", order_by="AgendaItem.position"
    )

    @property
    def pending_items(self) -> list[AgendaItem]:
        return [item for item in self.items if item.outcome is ItemOutcome.PENDING]

    @property
    def agenda(self) -> list[AgendaItem]:
        """Entries that are (or were, once held) the session's business."""
        return [item for item in self.items if item.outcome in AGENDA_OUTCOMES]

    @property
    def room_free(self) -> int:
        return max(self.capacity - self.booked, 0)

    @property
    def agenda_open(self) -> bool:
        """Cases may still be placed, moved and ordered by hand (until the cut-off)."""
        return (
            self.kind is SessionKind.CASE_REVIEW
            and self.status is SessionStatus.PLANNED
            and self.cutoff_at > now_utc()
        )

    @property
    def upcoming(self) -> bool:
        return self.status in UPCOMING

    @property
    def record_final(self) -> bool:
        """The minutes are final: what the session recorded can no longer change."""
        return self.minutes_final_at is not None


class AgendaItem(Model):
    """A case on a session's agenda. At most one pending entry per case (partial index)."""

    __tablename__ = "agenda_items"
    __table_args__ = (
        Index(
            "uq_agenda_items_pending_case",
            "case_id",
            unique=True,
            sqlite_where=text("outcome = 'pending'"),
            postgresql_where=text("outcome = 'pending'"),
        ),
        Index("ix_agenda_items_session_position", "session_id", "position"),
        # Deferrals are few: the dashboard counts them from this index alone.
        Index(
            "ix_agenda_items_deferred",
            "session_id",
            "case_id",
            "deferral_reason",
            sqlite_where=text("outcome = 'deferred'"),
            postgresql_where=text("outcome = 'deferred'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("board_sessions.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    carried_over: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[ItemOutcome] = mapped_column(
        enum_column(ItemOutcome), default=ItemOutcome.PENDING
    )
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Who presented the case in the session (the minutes name them).
    presented_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deferral_reason: Mapped[DeferralReason | None] = mapped_column(enum_column(DeferralReason))

    session: Mapped[BoardSession] = relationship(back_populates="items")
    case: Mapped[Case] = relationship(lazy="joined")
    presented_by: Mapped[User | None] = relationship(foreign_keys=[presented_by_id])

    @property
    def agenda_code(self) -> str:
        """As the minutes write it: ``CE <session number>.<case number>``."""
        return f"CE {self.session.number}.{self.case_id}"


class FlagReason(enum.StrEnum):
    DEADLINE = "deadline"
    URGENT_72H = "urgent_72h"
    NO_SESSION = "no_session"


class SchedulingFlag(Model):
    """A case the board cannot discuss in time; shown to the coordinator until resolved."""

    __tablename__ = "scheduling_flags"
    __table_args__ = (
        Index(
            "uq_scheduling_flags_open",
            "case_id",
            "reason",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reason: Mapped[FlagReason] = mapped_column(enum_column(FlagReason))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(lazy="joined")
    board: Mapped[Board] = relationship()


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


class SessionAttendee(Model):
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
