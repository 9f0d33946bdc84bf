"""What a session records: who attended, what was recommended, where patients were
referred, what was agreed, how members prepared, the minutes and attendance certificates."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from telemed.auth.models import User
from telemed.boards.models import AgendaItem, Board, BoardSession
from telemed.cases.models import Case
from telemed.centres.models import Centre
from telemed.core.clock import now_utc
from telemed.core.types import UTCDateTime, enum_column
from telemed.extensions import db

# --- attendance -----------------------------------------------------------------------


class AttendanceRole(enum.StrEnum):
    """In what capacity someone attended (the minutes list it next to their unit)."""

    CHAIR = "chair"
    MEMBER = "member"
    COORDINATOR = "coordinator"
    REFERRING = "referring"
    GUEST = "guest"


class Attendance(db.Model):
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


# --- recommendations ------------------------------------------------------------------


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


class Recommendation(db.Model):
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


# --- referrals ------------------------------------------------------------------------


class TransplantType(enum.StrEnum):
    HAPLOIDENTICAL = "haploidentical"
    RELATED_ALLOGENEIC = "related_allogeneic"
    UNRELATED_ALLOGENEIC = "unrelated_allogeneic"
    AUTOLOGOUS = "autologous"


class ReferralStatus(enum.StrEnum):
    PROPOSED = "proposed"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    UNDER_EVALUATION = "under_evaluation"
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Referral(db.Model):
    """A patient sent to a centre that can resolve the case (e.g. HITO for a transplant)."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendations.id"), index=True
    )
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id"), index=True)
    from_centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    to_centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    # Capability flags (centres.models.CAPABILITY_FLAGS) the receiving centre must have.
    needs: Mapped[list] = mapped_column(JSON, default=list)
    transplant_type: Mapped[TransplantType | None] = mapped_column(enum_column(TransplantType))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[ReferralStatus] = mapped_column(
        enum_column(ReferralStatus), default=ReferralStatus.PROPOSED, index=True
    )
    pending_studies: Mapped[str | None] = mapped_column(Text)
    scheduled_for: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # When it was marked completed (turnaround figures read it without the steps).
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    recommendation: Mapped[Recommendation | None] = relationship(back_populates="referrals")
    from_centre: Mapped[Centre] = relationship(foreign_keys=[from_centre_id])
    to_centre: Mapped[Centre] = relationship(foreign_keys=[to_centre_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    steps: Mapped[list[ReferralStep]] = relationship(
        back_populates="referral", order_by="ReferralStep.id"
    )


class ReferralStep(db.Model):
    """A dated step or note on a referral, by either centre."""

    __tablename__ = "referral_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)

    referral: Mapped[Referral] = relationship(back_populates="steps")
    actor: Mapped[User | None] = relationship()


# --- agreements -----------------------------------------------------------------------


class Agreement(db.Model):
    """An acuerdo: followed up at every later session of the board until marked done."""

    __tablename__ = "agreements"
    __table_args__ = (Index("ix_agreements_open", "board_id", "done_at", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("board_sessions.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    # The owner: a user of the service, or a unit written by hand (or both).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    owner_unit: Mapped[str | None] = mapped_column(String(200))
    due_date: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_note: Mapped[str | None] = mapped_column(Text)
    # The session whose follow-up reports it done: the room it was marked in, or the next one.
    done_session_id: Mapped[int | None] = mapped_column(ForeignKey("board_sessions.id"))

    board: Mapped[Board] = relationship()
    session: Mapped[BoardSession] = relationship(foreign_keys=[session_id])
    done_session: Mapped[BoardSession | None] = relationship(foreign_keys=[done_session_id])
    case: Mapped[Case | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id])

    @property
    def owner_label(self) -> str:
        parts = [p for p in (self.owner.name if self.owner else None, self.owner_unit) if p]
        return " — ".join(parts)


# --- preparation ----------------------------------------------------------------------


class NoteKind(enum.StrEnum):
    NOTE = "note"  # for the board only
    QUESTION = "question"  # for the referring doctor, who answers on the case page


class PreparationNote(db.Model):
    """A member's preparation note on a case, or a question for the referring doctor."""

    __tablename__ = "preparation_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("board_sessions.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[NoteKind] = mapped_column(enum_column(NoteKind))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])


class CaseReviewMark(db.Model):
    """A member has reviewed a case before its session."""

    __tablename__ = "case_review_marks"
    __table_args__ = (
        UniqueConstraint(
            "session_id", "case_id", "user_id", name="uq_case_review_marks_session_case_user"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("board_sessions.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped[User] = relationship()


# --- minutes --------------------------------------------------------------------------


class MinutesStatus(enum.StrEnum):
    DRAFT = "draft"
    FINAL = "final"


class Minutes(db.Model):
    """The minuta of a session: generated from the record while a draft, frozen once final."""

    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("board_sessions.id"), unique=True)
    status: Mapped[MinutesStatus] = mapped_column(
        enum_column(MinutesStatus), default=MinutesStatus.DRAFT
    )
    # The generated content, frozen at finalisation (codes only, never patient data).
    content: Mapped[dict | None] = mapped_column(JSON)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    session: Mapped[BoardSession] = relationship()
    finalised_by: Mapped[User | None] = relationship()
    addenda: Mapped[list[MinutesAddendum]] = relationship(
        back_populates="minutes", order_by="MinutesAddendum.id"
    )


class MinutesAddendum(db.Model):
    """A dated correction to final minutes."""

    __tablename__ = "minutes_addenda"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    minutes: Mapped[Minutes] = relationship(back_populates="addenda")
    author: Mapped[User] = relationship()


# --- certificates ---------------------------------------------------------------------


class Certificate(db.Model):
    """Attendance at a training or keynote session, checkable by its code on a public page."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendance_id: Mapped[int] = mapped_column(ForeignKey("attendances.id"), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("board_sessions.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    # Frozen at issue: the certificate says what was true that day.
    holder_name: Mapped[str] = mapped_column(String(120))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    attendance: Mapped[Attendance] = relationship()
    session: Mapped[BoardSession] = relationship()
