"""What the room records: who attended, and what the board recommended on each case."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from telemed.auth.models import User
from telemed.cases.models import Case
from telemed.core.clock import now_utc
from telemed.core.types import UTCDateTime, enum_column
from telemed.extensions import Model
from telemed.sessions.models import AgendaItem, BoardSession

if TYPE_CHECKING:  # a referral points back at its recommendation; only the types meet here
    from telemed.referrals.models import Referral


class AttendanceRole(enum.StrEnum):
    """In what capacity someone attended (the minutes list it next to their unit)."""

    CHAIR = "chair"
    MEMBER = "member"
    COORDINATOR = "coordinator"
    REFERRING = "referring"
    GUEST = "guest"


class Attendance(Model):
    """One person present at a session: a user of the service, or a guest by name and unit."""

    __tablename__ = "attendances"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id", name="uq_attendances_session_id_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("board_sessions.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[AttendanceRole] = mapped_column(enum_column(AttendanceRole))
    discipline: Mapped[str | None] = mapped_column(String(32))
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    session: Mapped[BoardSession] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class RecommendationCategory(enum.StrEnum):
    CONFIRM_DIAGNOSIS = "confirm_diagnosis"
    REVISE_DIAGNOSIS = "revise_diagnosis"
    FURTHER_STUDIES = "further_studies"
    TREATMENT_PLAN = "treatment_plan"
    CONTINUE_TREATMENT = "continue_treatment"
    PALLIATIVE_CARE = "palliative_care"
    REFERRAL = "referral"
    OTHER = "other"


class Adherence(enum.StrEnum):
    """Whether the referring centre carried the recommendation out."""

    YES = "yes"
    PARTLY = "partly"
    NO = "no"


class Recommendation(Model):
    """The board's structured second opinion on a case, from one agenda entry."""

    __tablename__ = "recommendations"
    __table_args__ = (
        # The dashboard lists the newest reasons for recommendations not (fully) carried out.
        Index(
            "ix_recommendations_not_carried_out",
            "adherence_at",
            sqlite_where=text("adherence IN ('partly', 'no')"),
            postgresql_where=text("adherence IN ('partly', 'no')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("board_sessions.id"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"), index=True)
    category: Mapped[RecommendationCategory] = mapped_column(enum_column(RecommendationCategory))
    text: Mapped[str] = mapped_column(Text)
    consensus: Mapped[bool] = mapped_column(Boolean, default=True)
    dissent: Mapped[str | None] = mapped_column(Text)
    # Who carries it out: a person or a unit, as written in the session.
    responsible: Mapped[str] = mapped_column(String(200))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)

    adherence: Mapped[Adherence | None] = mapped_column(enum_column(Adherence), index=True)
    adherence_reason: Mapped[str | None] = mapped_column(Text)
    adherence_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    adherence_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    session: Mapped[BoardSession | None] = relationship()
    agenda_item: Mapped[AgendaItem | None] = relationship()
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    adherence_by: Mapped[User | None] = relationship(foreign_keys=[adherence_by_id])
    referrals: Mapped[list[Referral]] = relationship(
        back_populates="recommendation", order_by="Referral.id"
    )
