"""The case, its attachments and the events that make up its timeline."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from telemed.auth.models import User
from telemed.centres.models import Centre
from telemed.core.clock import now_utc
from telemed.core.types import UTCDateTime, enum_column
from telemed.core.vocabulary import MaterialKind, RequestKind, Specialty
from telemed.extensions import Model


class CaseStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    DISCUSSED = "discussed"
    RECOMMENDATION_ISSUED = "recommendation_issued"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


class Sex(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNDETERMINED = "undetermined"


class Urgency(enum.StrEnum):
    ROUTINE = "routine"
    PRIORITY = "priority"
    URGENT = "urgent"


class Case(Model):
    __tablename__ = "cases"
    __table_args__ = (
        # The dashboard's waiting times for one centre or state, read from the index alone.
        Index("ix_cases_centre_discussion", "centre_id", "first_discussed_at", "submitted_at"),
        # A centre's cases (lists, access) and, read from the index alone, the case ids a
        # centre filter semi-joins to (deferrals: 157 -> 48 ms for one centre at 1M cases).
        Index("ix_cases_centre_case", "centre_id", "id"),
        # The case list filtered by status, newest first, read in index order (a rare status
        # such as "submitted" no longer scans the newest cases for its few).
        Index("ix_cases_status_case", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus))

    patient_reference: Mapped[str] = mapped_column(String(40))
    age_years: Mapped[int | None] = mapped_column(Integer)
    age_months: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[Sex | None] = mapped_column(enum_column(Sex))
    icd10_code: Mapped[str | None] = mapped_column(String(8))
    diagnosis_text: Mapped[str | None] = mapped_column(String(300))
    stage: Mapped[str | None] = mapped_column(String(120))
    current_treatment: Mapped[str | None] = mapped_column(Text)
    question: Mapped[str | None] = mapped_column(Text)
    request_kind: Mapped[RequestKind | None] = mapped_column(enum_column(RequestKind))
    urgency: Mapped[Urgency] = mapped_column(
        enum_column(Urgency), index=True, default=Urgency.ROUTINE
    )
    urgency_justification: Mapped[str | None] = mapped_column(Text)
    clinical_deadline: Mapped[date | None] = mapped_column(Date)
    high_complexity: Mapped[bool] = mapped_column(Boolean, default=False)
    specialty: Mapped[Specialty | None] = mapped_column(enum_column(Specialty), index=True)

    # Scheduling: how many sessions passed it by (precedence), and a coordinator's hold.
    carry_over: Mapped[int] = mapped_column(Integer, default=0)
    scheduling_hold: Mapped[bool] = mapped_column(Boolean, default=False)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Kept for the counts the network reports (one indexed column each, no joins at scale):
    # when the case was first accepted, and the start of the session that first discussed it.
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    first_discussed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    centre: Mapped[Centre] = relationship(lazy="joined")
    submitted_by: Mapped[User] = relationship(lazy="joined")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="case", order_by="Attachment.id"
    )
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")

    @property
    def code(self) -> str:
        """Running code that reveals nothing about the patient, e.g. ``CE-0058``."""
        return format_case_code(self.id)

    @property
    def masked_reference(self) -> str:
        return mask_reference(self.patient_reference)

    def __repr__(self) -> str:  # never the patient reference
        return f"<Case {self.code} {self.status}>"


def format_case_code(case_id: int) -> str:
    return f"CE-{case_id:04d}"


def mask_reference(reference: str) -> str:
    """Show only the last three characters of a record number: ``•••123``."""
    visible = reference[-3:] if len(reference) > 4 else ""
    return "•••" + visible


class Attachment(Model):
    """A file of a case, stored outside static files under its content hash."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    material: Mapped[MaterialKind | None] = mapped_column(enum_column(MaterialKind))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    case: Mapped[Case] = relationship(back_populates="attachments")
    uploaded_by: Mapped[User] = relationship()


class AttachmentBlob(Model):
    """The bytes of attachments kept in the database (``TELEMED_ATTACHMENT_STORE=database``),
    so that every web server serves every file: one row per content, named by its SHA-256
    (two attachments of the same bytes share it). ``content`` is loaded only when read."""

    __tablename__ = "attachment_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class CaseEvent(Model):
    """One step in a case's life: what happened, who did it, and any message with it."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
