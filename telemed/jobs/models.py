"""A lease row: whoever holds it (and keeps renewing it) is the one active scheduler."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from telemed.core.types import UTCDateTime
from telemed.extensions import Model


class SchedulerLease(Model):
    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
