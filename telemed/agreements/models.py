"""Agreements (acuerdos) recorded in a session and followed up until done."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from telemed.auth.models import User
from telemed.boards.models import Board
from telemed.cases.models import Case
from telemed.core.clock import now_utc
from telemed.core.types import UTCDateTime
from telemed.extensions import Model
from telemed.sessions.models import BoardSession


class Agreement(Model):
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
