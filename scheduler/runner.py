"""The scheduler process: hold the lease, run APScheduler while holding it, stand by otherwise."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from scheduler import jobs
from telemed.core.transaction import unit_of_work
from telemed.extensions import db
from telemed.jobs import lease

log = logging.getLogger(__name__)
# A job missed by up to this long (e.g. during a takeover) still runs once; older ones wait
# for their next tick, which is harmless because every job polls for "due and not done".
MISFIRE_GRACE_SECONDS = 300


def job_table(app: Flask) -> list[tuple[str, str, IntervalTrigger]]:
    every = app.config["ASSIGN_EVERY_MINUTES"]
    return [
        ("generate_sessions", "scheduler.jobs:generate_sessions",
         IntervalTrigger(hours=1, timezone=UTC)),
        ("assign_cases", "scheduler.jobs:assign_cases",
         IntervalTrigger(minutes=every, timezone=UTC)),
        ("close_agendas", "scheduler.jobs:close_agendas",
         IntervalTrigger(minutes=1, timezone=UTC)),
        ("finish_sessions", "scheduler.jobs:finish_sessions",
         IntervalTrigger(minutes=5, timezone=UTC)),
        ("deliver_outbox", "scheduler.jobs:deliver_outbox",
         IntervalTrigger(minutes=1, timezone=UTC)),
        ("sync_invites", "scheduler.jobs:sync_invites",
         IntervalTrigger(minutes=1, timezone=UTC)),
        ("check_quorum", "scheduler.jobs:check_quorum",
         IntervalTrigger(minutes=15, timezone=UTC)),
        ("send_reminders", "scheduler.jobs:send_reminders",
         IntervalTrigger(minutes=1, timezone=UTC)),
        ("flag_missing_material", "scheduler.jobs:flag_missing_material",
         IntervalTrigger(minutes=15, timezone=UTC)),
        ("refresh_figures", "scheduler.jobs:refresh_figures",
         IntervalTrigger(minutes=15, timezone=UTC)),
    ]  # fmt: skip


# APScheduler 3 ships no type information, so its job store is ``Any`` to the type checker.
class AppJobStore(SQLAlchemyJobStore):  # type: ignore[misc]
    """The job store on the application's engine, which the application owns: stopping the
    scheduler must not dispose the web process's connection pool."""

    def shutdown(self) -> None:
        return None


def build_scheduler(app: Flask) -> BackgroundScheduler:
    """APScheduler with its job store in the application database and explicit job ids."""
    with app.app_context():
        store = AppJobStore(engine=db.engine, tablename="apscheduler_jobs")
    scheduler = BackgroundScheduler(
        jobstores={"default": store},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
        timezone=UTC,
    )
    return scheduler


def add_jobs(app: Flask, scheduler: BackgroundScheduler) -> None:
    """Register every job; each runs once right away (catching up after a takeover)."""
    now = datetime.now(UTC)
    for job_id, func, trigger in job_table(app):
        scheduler.add_job(
            func, trigger=trigger, id=job_id, name=job_id, replace_existing=True,
            next_run_time=now,
        )  # fmt: skip


class Runner:
    """Lease loop: renew every ``poll`` seconds; start jobs on gaining, stop on losing it."""

    def __init__(self, app: Flask, holder: str | None = None) -> None:
        self.app = app
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.ttl = timedelta(seconds=app.config["SCHEDULER_LEASE_SECONDS"])
        self.poll = max(self.ttl.total_seconds() / 3, 1)
        self.scheduler: BackgroundScheduler | None = None
        self.stopping = threading.Event()
        jobs.bind(app, self.holder)

    @property
    def active(self) -> bool:
        return self.scheduler is not None

    def step(self) -> bool:
        """One lease round; returns whether this process is the active scheduler."""
        with self.app.app_context(), unit_of_work():
            leader = lease.try_acquire(self.holder, self.ttl)
        if leader and self.scheduler is None:
            log.info("scheduler %s is now active", self.holder)
            self.scheduler = build_scheduler(self.app)
            add_jobs(self.app, self.scheduler)
            self.scheduler.start()
        elif not leader and self.scheduler is not None:
            log.warning("scheduler %s lost the lease; standing by", self.holder)
            self.stop_jobs()
        return leader

    def stop_jobs(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None

    def run_forever(self) -> None:
        log.info("scheduler %s started (standby until it holds the lease)", self.holder)
        try:
            while not self.stopping.is_set():
                self.step()
                self.stopping.wait(self.poll)
        finally:
            self.stop_jobs()
            with self.app.app_context(), unit_of_work():
                lease.release(self.holder)

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="telemed-scheduler", daemon=True)
        thread.start()
        return thread
