"""The scheduler's own rows: the lease (whoever holds it and keeps renewing it is the one
active scheduler) and when each job last finished without error."""

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


class JobRun(Model):
    """One row per job, rewritten in the job's own transaction each time it succeeds: a
    failing run rolls back and leaves the previous success, so lag shows in /metrics."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_success_at: Mapped[datetime] = mapped_column(UTCDateTime)
    holder: Mapped[str] = mapped_column(String(120))  # the scheduler process that ran it
