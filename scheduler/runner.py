"""The scheduler process: hold the lease, run APScheduler while holding it, stand by otherwise."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from scheduler import jobs
from telemed.core.clock import now_utc
from telemed.core.transaction import unit_of_work
from telemed.extensions import db
from telemed.jobs import lease
from telemed.schedule import JOBS

log = logging.getLogger(__name__)
# A job missed by up to this long (e.g. during a takeover) still runs once; older ones wait
# for their next tick, which is harmless because every job polls for "due and not done".
MISFIRE_GRACE_SECONDS = 300


def job_table(app: Flask) -> list[tuple[str, str, IntervalTrigger]]:
    """Every job of ``telemed.schedule.JOBS`` (the table ``flask schedule run`` runs too), as
    (id, function in ``scheduler.jobs``, trigger)."""
    return [
        (entry.name, f"scheduler.jobs:{entry.name}",
         IntervalTrigger(seconds=entry.every(app.config).total_seconds(), timezone=UTC))
        for entry in JOBS
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


# A standby tries again this long after the lease it saw ends (database round trips, the
# renewal landing at the same instant): takeover comes within the lease length plus this.
TAKEOVER_MARGIN_SECONDS = 0.2


class Runner:
    """Lease loop: the leader renews every third of the lease; a standby wakes when the lease
    it saw ends, so it takes over within one lease period of the leader's last renewal.

    On gaining the lease it starts the jobs; on losing it, or when asked to stop, it waits
    for the running jobs before standing down (and only then releases the lease)."""

    def __init__(self, app: Flask, holder: str | None = None) -> None:
        self.app = app
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.ttl = timedelta(seconds=app.config["SCHEDULER_LEASE_SECONDS"])
        self.renew_every = max(self.ttl.total_seconds() / 3, 1)
        self.stop_seconds = float(app.config["SCHEDULER_STOP_SECONDS"])
        self.wait = self.renew_every  # until the next lease round (``step`` sets it)
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
            self.wait = self.renew_every if leader else self.until_lease_ends()
        if leader and self.scheduler is None:
            log.info("scheduler %s is now active", self.holder)
            jobs.open_for_work()
            self.scheduler = build_scheduler(self.app)
            add_jobs(self.app, self.scheduler)
            self.scheduler.start()
        elif not leader and self.scheduler is not None:
            log.warning("scheduler %s lost the lease; standing by", self.holder)
            self.stop_jobs()
        return leader

    def until_lease_ends(self) -> float:
        """Seconds a standby waits: until just after the lease it saw ends, and at most a
        third of the lease (it may be released early)."""
        ends = lease.expires_at()
        if ends is None:
            return TAKEOVER_MARGIN_SECONDS
        left = (ends - now_utc()).total_seconds() + TAKEOVER_MARGIN_SECONDS
        return min(self.renew_every, max(left, TAKEOVER_MARGIN_SECONDS))

    def stop_jobs(self, grace: float = 0, keep_lease: bool = False) -> None:
        """Start no more jobs and wait for the running ones: up to ``grace`` seconds for them
        to finish, then ask them to stop at their next checkpoint and wait for that.

        With ``keep_lease`` (a graceful stop) the lease is renewed meanwhile, so no standby
        starts the same work while a job still runs here; after losing the lease the jobs
        are asked to stop at once."""
        if self.scheduler is not None:
            jobs.context.closing.set()
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        halt = jobs.context.halt
        if grace <= 0:
            halt.set()
        deadline = time.monotonic() + grace
        while True:
            left = deadline - time.monotonic()
            if left <= 0 and not halt.is_set():
                log.warning("jobs still running after %.0f s: stopping them at their next "
                            "checkpoint", grace)  # fmt: skip
                halt.set()
            if jobs.wait_idle(self.renew_every if halt.is_set() else min(left, self.renew_every)):
                return
            if keep_lease and not self.renew():
                halt.set()  # someone else leads now: the jobs must stop

    def renew(self) -> bool:
        with self.app.app_context(), unit_of_work():
            return lease.try_acquire(self.holder, self.ttl)

    def run_forever(self) -> None:
        """Until ``stopping`` is set (SIGTERM, SIGINT): then wait for the running jobs, at
        most ``TELEMED_SCHEDULER_STOP_SECONDS`` before asking them to stop, and release the
        lease only once none runs, so a standby takes over at once and alone."""
        log.info("scheduler %s started (standby until it holds the lease)", self.holder)
        try:
            while not self.stopping.is_set():
                self.step()
                self.stopping.wait(self.wait)
        finally:
            self.stop_jobs(grace=self.stop_seconds, keep_lease=True)
            with self.app.app_context(), unit_of_work():
                lease.release(self.holder)
            log.info("scheduler %s stopped; lease released", self.holder)

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="telemed-scheduler", daemon=True)
        thread.start()
        return thread
