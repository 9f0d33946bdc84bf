"""Acquire, renew and release the scheduler lease with single conditional statements.

A holder must renew before ``expires_at``; a standby takes over once it has expired (it
wakes when the lease it saw ends), so a dead scheduler is replaced within one lease period.
Works the same on SQLite and PostgreSQL.
Each call runs in the caller's transaction; the scheduler commits it at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from telemed.core.clock import now_utc
from telemed.core.sql import insert, rowcount
from telemed.extensions import db
from telemed.jobs.models import SchedulerLease

LEASE_NAME = "scheduler"


def try_acquire(holder: str, ttl: timedelta, name: str = LEASE_NAME) -> bool:
    """Take or renew the lease; True when ``holder`` has it for ``ttl`` from now."""
    now = now_utc()
    result = db.session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == name,
            or_(SchedulerLease.holder == holder, SchedulerLease.expires_at <= now),
        )
        .values(holder=holder, expires_at=now + ttl)
    )
    if rowcount(result) == 1:
        return True
    # No row yet, or another holder's lease still runs: only the first creator wins.
    created = db.session.execute(
        insert(SchedulerLease)
        .values(name=name, holder=holder, expires_at=now + ttl)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(SchedulerLease.name)
    )
    return created.first() is not None


def holds(holder: str, name: str = LEASE_NAME) -> bool:
    now = now_utc()
    return (
        db.session.scalar(
            select(SchedulerLease.name).where(
                SchedulerLease.name == name,
                SchedulerLease.holder == holder,
                SchedulerLease.expires_at > now,
            )
        )
        is not None
    )


def expires_at(name: str = LEASE_NAME) -> datetime | None:
    """When the current holder's lease ends unless renewed (``None``: nobody ever held it)."""
    return db.session.scalar(select(SchedulerLease.expires_at).where(SchedulerLease.name == name))


def release(holder: str, name: str = LEASE_NAME) -> None:
    db.session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
        .values(expires_at=now_utc())
    )
