"""Boards (comités): who sits on them, which specialties they take, when they meet."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from telemed.auth.models import Discipline, User
from telemed.core.types import UTCDateTime, enum_column
from telemed.core.vocabulary import Specialty
from telemed.extensions import Model, db


class SessionKind(enum.StrEnum):
    CASE_REVIEW = "case_review"
    TRAINING = "training"
    KEYNOTE = "keynote"


class MemberRole(enum.StrEnum):
    CHAIR = "chair"
    MEMBER = "member"
    GUEST = "guest"


class DayOffPolicy(enum.StrEnum):
    """What becomes of a meeting that falls on an official rest day or a board's day off."""

    SKIP = "skip"
    PREVIOUS = "previous"  # the previous working day, same time
    NEXT = "next"  # the next working day, same time


class Board(Model):
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
    quorum_disciplines: Mapped[list[str]] = mapped_column(JSON, default=list)
    next_session_number: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Publish a public calendar feed of its training and keynote sessions.
    public_feed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Material each kind of request needs before the cut-off: {request_kind: [material, ...]}.
    required_material: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    day_off_policy: Mapped[DayOffPolicy] = mapped_column(
        enum_column(DayOffPolicy), default=DayOffPolicy.SKIP, server_default=DayOffPolicy.SKIP.value
    )

    coordinator: Mapped[User | None] = relationship()
    specialties: Mapped[list[BoardSpecialty]] = relationship(
        back_populates="board", cascade="all, delete-orphan"
    )
    members: Mapped[list[BoardMember]] = relationship(
        back_populates="board", cascade="all, delete-orphan", order_by="BoardMember.id"
    )
    days_off: Mapped[list[BoardDayOff]] = relationship(
        back_populates="board", cascade="all, delete-orphan", order_by="BoardDayOff.day"
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


class BoardSpecialty(Model):
    """Routes cases: each specialty belongs to at most one board."""

    __tablename__ = "board_specialties"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"), index=True)
    specialty: Mapped[Specialty] = mapped_column(enum_column(Specialty), unique=True)

    board: Mapped[Board] = relationship(back_populates="specialties")


class BoardMember(Model):
    __tablename__ = "board_members"
    __table_args__ = (UniqueConstraint("board_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole), default=MemberRole.MEMBER)
    discipline: Mapped[Discipline | None] = mapped_column(enum_column(Discipline))

    board: Mapped[Board] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined")


class BoardDayOff(Model):
    """A day the board does not meet (winter break, a local holiday, a congress): no session
    is generated on it, and sessions already planned follow ``Board.day_off_policy``."""

    __tablename__ = "board_days_off"
    __table_args__ = (UniqueConstraint("board_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"))  # led by the unique pair
    # A day on the board's own calendar (its time zone).
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    board: Mapped[Board] = relationship(back_populates="days_off")
