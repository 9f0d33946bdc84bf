"""Certificates of attendance at training and keynote sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from telemed.core.clock import now_utc
from telemed.core.types import UTCDateTime
from telemed.extensions import Model
from telemed.room.models import Attendance
from telemed.sessions.models import BoardSession


class Certificate(Model):
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
