"""Preparation before a session: members' notes, questions to the referring doctor,
and who reviewed which case."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from telemed.auth.models import User
from telemed.cases.models import Case
from telemed.core.clock import now_utc
from telemed.core.types import UTCDateTime, enum_column
from telemed.extensions import Model


class NoteKind(enum.StrEnum):
    NOTE = "note"  # for the board only
    QUESTION = "question"  # for the referring doctor, who answers on the case page


class PreparationNote(Model):
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


class CaseReviewMark(Model):
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
