"""Boards (comités), members, sessions, agenda entries and scheduling flags."""

from __future__ import annotations

import enum
from datetime import datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from telemed.auth.models import Discipline, User
from telemed.cases.models import Case, Specialty
from telemed.core.clock import now_utc
from telemed.core.types import UTCDateTime, enum_column
from telemed.extensions import db


class SessionKind(enum.StrEnum):
    CASE_REVIEW = "case_review"
    TRAINING = "training"
    KEYNOTE = "keynote"


class MemberRole(enum.StrEnum):
    CHAIR = "chair"
    MEMBER = "member"
    GUEST = "guest"


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


class Board(db.Model):
    __tablename__ = "boards"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[SessionKind] = mapped_column(enum_column(SessionKind))
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    # RFC 5545 RRULE evaluated in ``timezone`` from ``dtstart`` (local wall time).
    rrule: Mapped[str] = mapped_column(String(300))
    dtstart: Mapped[datetime] = mapped_column(db.DateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=90)
    minutes_per_case: Mapped[int] = mapped_column(Integer, default=10)
    cutoff_days_before: Mapped[int] = mapped_column(Integer, default=2)
    cutoff_time: Mapped[time] = mapped_column(Time, default=time(23, 59))
    room_url_pattern: Mapped[str] = mapped_column(String(300))
    quorum_disciplines: Mapped[list] = mapped_column(JSON, default=list)
    next_session_number: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Publish a public calendar feed of its training and keynote sessions.
    public_feed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Material each kind of request needs before the cut-off: {request_kind: [material, ...]}.
    required_material: Mapped[dict] = mapped_column(JSON, default=dict)

    coordinator: Mapped[User | None] = relationship()
    specialties: Mapped[list[BoardSpecialty]] = relationship(
        back_populates="board", cascade="all, delete-orphan"
    )
    members: Mapped[list[BoardMember]] = relationship(
        back_populates="board", cascade="all, delete-orphan", order_by="BoardMember.id"
    )

    @property
    def case_capacity(self) -> int:
        """How many cases fit in one session: its length over the minutes per case."""
        if self.kind is not SessionKind.CASE_REVIEW:
            return 0
        return max(self.duration_minutes // max(self.minutes_per_case, 1), 0)

    @property
    def specialty_values(self) -> list[Specialty]:
        return [link.specialty for link in self.specialties]


class BoardSpecialty(db.Model):
    """Routes cases: each specialty belongs to at most one board."""

    __tablename__ = "board_specialties"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"), index=True)
    specialty: Mapped[Specialty] = mapped_column(enum_column(Specialty), unique=True)

    board: Mapped[Board] = relationship(back_populates="specialties")


class BoardMember(db.Model):
    __tablename__ = "board_members"
    __table_args__ = (UniqueConstraint("board_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole), default=MemberRole.MEMBER)
    discipline: Mapped[Discipline | None] = mapped_column(enum_column(Discipline))

    board: Mapped[Board] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined")


class BoardSession(db.Model):
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
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    cutoff_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    room_url: Mapped[str] = mapped_column(String(300))
    topic: Mapped[str | None] = mapped_column(String(300))
    speaker: Mapped[str | None] = mapped_column(String(200))
    audience: Mapped[str | None] = mapped_column(String(200))
    order_of_business: Mapped[list | None] = mapped_column(JSON)
    # Grows on every change of time, room or status (calendar invites build on it).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # Grows whenever who should be invited may have changed (agenda or members); the invite
    # job brings the attendees in line and records what it has seen.
    roster_version: Mapped[int] = mapped_column(Integer, default=0)
    invites_sequence: Mapped[int] = mapped_column(Integer, default=-1)
    invites_roster: Mapped[int] = mapped_column(Integer, default=-1)
    # Training/keynote audience: "everyone", "centre:<id>" or "discipline:<value>".
    audience_scope: Mapped[str | None] = mapped_column(String(60))
    # What actually happened, recorded in the room (the minutes read them).
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    general_matters: Mapped[str | None] = mapped_column(Text)
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


class AgendaItem(db.Model):
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


class SchedulingFlag(db.Model):
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
