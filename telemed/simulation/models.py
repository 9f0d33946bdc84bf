"""A capacity planner run asked for on the page: queued, claimed by the scheduler's job
under a lease (a worker that died leaves a claim another run takes over), and its result."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from telemed.auth.models import User
from telemed.core.types import UTCDateTime, enum_column
from telemed.extensions import Model


class PlanStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CapacityPlan(Model):
    __tablename__ = "capacity_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    board: Mapped[str] = mapped_column(String(120))  # a simulated board's name
    grid: Mapped[dict[str, Any]] = mapped_column(JSON)  # ``sweep.Grid.as_json()``
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)

    requested_by: Mapped[User] = relationship()
