"""The minutes (minuta) of a session and their dated addenda."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from telemed.auth.models import User
from telemed.core.clock import now_utc
from telemed.core.types import UTCDateTime, enum_column
from telemed.extensions import Model
from telemed.sessions.models import BoardSession


class MinutesStatus(enum.StrEnum):
    DRAFT = "draft"
    FINAL = "final"


class Minutes(Model):
    """The minuta of a session: generated from the record while a draft, frozen once final."""

    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("board_sessions.id"), unique=True)
    status: Mapped[MinutesStatus] = mapped_column(
        enum_column(MinutesStatus), default=MinutesStatus.DRAFT
    )
    # The generated content, frozen at finalisation (codes only, never patient data).
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    session: Mapped[BoardSession] = relationship()
    finalised_by: Mapped[User | None] = relationship()
    addenda: Mapped[list[MinutesAddendum]] = relationship(
        back_populates="minutes", order_by="MinutesAddendum.id"
    )


class MinutesAddendum(Model):
    """A dated correction to final minutes."""

    __tablename__ = "minutes_addenda"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    minutes: Mapped[Minutes] = relationship(back_populates="addenda")
    author: Mapped[User] = relationship()
