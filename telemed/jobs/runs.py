"""When each scheduler job last finished without error: the figure operators watch for lag.

The row is written in the job's own transaction, so a run that fails (and rolls back) leaves
the previous success in place, which is what makes a stuck or failing job visible.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from telemed.core.clock import now_utc
from telemed.core.sql import insert
from telemed.extensions import db
from telemed.jobs.models import JobRun


def record_success(job: str, holder: str) -> None:
    """Note that ``job`` just finished (in the caller's transaction, committed with it)."""
    now = now_utc()
    db.session.execute(
        insert(JobRun)
        .values(name=job, holder=holder, last_success_at=now)
        .on_conflict_do_update(
            index_elements=["name"], set_={"holder": holder, "last_success_at": now}
        )
    )


def last_successes() -> dict[str, datetime]:
    """Each job that ever succeeded, with the time its last successful run finished."""
    rows = db.session.execute(select(JobRun.name, JobRun.last_success_at))
    return {name: finished for name, finished in rows}
