"""The audit log: one row per state change or read of patient data."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from telemed.core.clock import now_utc
from telemed.core.types import UTCDateTime
from telemed.extensions import Model

if TYPE_CHECKING:  # the audit sits below the accounts: it names a user, it never loads one
    from telemed.auth.models import User


class AuditEntry(Model):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column()
    # Field names and codes only: never patient identifiers.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship()
