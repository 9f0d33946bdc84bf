"""The figures ``/metrics`` serves, in Prometheus' text format (``prometheus-client``).

Two kinds of figure, gathered two ways:

- **Request latency** (``telemed_http_request_duration_seconds``, by Flask endpoint name and
  status class — never by URL, which holds ids) is counted by each process as it answers.
  Under gunicorn a scrape reaches one worker of several, so with ``PROMETHEUS_MULTIPROC_DIR``
  set (the systemd unit in ``deploy/`` does) every worker writes its counts to files in that
  folder and any worker's scrape adds them all up (prometheus-client's multiprocess mode).
  Without it (development, one process) the process's own counts are served.
- **The state of the background work** (outbox backlog and the age of its oldest message,
  each scheduler job's last success, the lease holder, open scheduling flags) is read from
  the database at scrape time. It is the same for every worker and every machine, so it is
  computed once per scrape by whichever worker answers, never kept per process (where
  multiprocess gauges would have to be merged and would go stale when a worker dies).

Labels carry endpoint names, job names, flag reasons and the scheduler's host:pid — never a
case code, patient data or an address.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import (
    CollectorRegistry,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from telemed.core.clock import now_utc
from telemed.extensions import db
from telemed.jobs import lease, runs
from telemed.jobs.models import SchedulerLease
from telemed.outbox.models import OutboxMessage, OutboxStatus
from telemed.sessions.models import FlagReason, SchedulingFlag

# Pages answer in tens of milliseconds, the figures' heaviest views in a few hundred; PDFs and
# uploads take seconds.
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Served in the classic text format (0.0.4), which every Prometheus reads; its ``_created``
# series (a histogram's creation time) would only double the lines in one-process mode.
disable_created_metrics()  # type: ignore[no-untyped-call]
PROCESS_REGISTRY = CollectorRegistry()
REQUEST_SECONDS = Histogram(
    "telemed_http_request_duration_seconds",
    "Time to answer a request, by Flask endpoint and status class (2xx, 3xx, 4xx, 5xx).",
    ["endpoint", "status"],
    buckets=BUCKETS,
    registry=PROCESS_REGISTRY,
)
# Messages still to deliver: queued, waiting for a retry, or being sent (not sent, not given up).
DONE = (OutboxStatus.SENT, OutboxStatus.FAILED)


def multiprocess_dir() -> str | None:
    """The folder gunicorn's workers share their counts in, when there is one."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def observe_request(endpoint: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(endpoint=endpoint, status=f"{status // 100}xx").observe(seconds)


def gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class DatabaseCollector(Collector):
    """The background work's state, read from the database when Prometheus asks.

    When the database cannot be read, ``telemed_database_up`` is 0 and the other figures
    are left out (an absent series, not a false zero)."""

    def collect(self) -> Iterator[Metric]:
        try:
            figures = list(self.read())
        except SQLAlchemyError:
            db.session.rollback()
            yield gauge("telemed_database_up", "Whether the database answered the scrape.", 0)
            return
        yield gauge("telemed_database_up", "Whether the database answered the scrape.", 1)
        yield from figures

    def read(self) -> Iterator[Metric]:
        now = now_utc()
        backlog, oldest = db.session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status.not_in(DONE)
            )
        ).one()
        yield gauge(
            "telemed_outbox_backlog_messages",
            "Emails queued and not yet delivered (pending, waiting to retry, or being sent).",
            backlog,
        )
        age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
        yield gauge(
            "telemed_outbox_oldest_pending_age_seconds",
            "Age of the oldest email not yet delivered (0 when none waits).",
            age,
        )
        failed = db.session.scalar(
            select(func.count()).where(OutboxMessage.status == OutboxStatus.FAILED)
        )
        yield gauge(
            "telemed_outbox_failed_messages",
            "Emails given up after every retry (their error is in outbox_messages.last_error).",
            failed or 0,
        )

        last = GaugeMetricFamily(
            "telemed_scheduler_job_last_success_timestamp_seconds",
            "Unix time at which each scheduler job last finished without error.",
            labels=["job"],
        )
        for job, finished in sorted(runs.last_successes().items()):
            last.add_metric([job], finished.timestamp())
        yield last

        holder = db.session.execute(
            select(SchedulerLease.holder, SchedulerLease.expires_at).where(
                SchedulerLease.name == lease.LEASE_NAME, SchedulerLease.expires_at > now
            )
        ).first()
        yield gauge(
            "telemed_scheduler_lease_held",
            "1 while a scheduler process holds an unexpired lease, 0 when none does.",
            1 if holder else 0,
        )
        holders = GaugeMetricFamily(
            "telemed_scheduler_lease_holder",
            "The scheduler process (host:pid:id) holding the lease, as a series equal to 1.",
            labels=["holder"],
        )
        if holder:
            holders.add_metric([holder.holder], 1)
        yield holders

        open_flags = db.session.execute(
            select(SchedulingFlag.reason, func.count())
            .where(SchedulingFlag.resolved_at.is_(None))
            .group_by(SchedulingFlag.reason)
        )
        counts = {reason: count for reason, count in open_flags}
        flags = GaugeMetricFamily(
            "telemed_scheduling_flags_open",
            "Cases flagged to the coordinators (cannot be discussed in time), not yet resolved.",
            labels=["reason"],
        )
        for reason in FlagReason:
            flags.add_metric([reason.value], counts.get(reason, 0))
        yield flags


def scrape() -> bytes:
    """The text Prometheus reads: every worker's request figures and the database's state."""
    registry = CollectorRegistry()
    path = multiprocess_dir()
    if path is not None:
        MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
    else:
        registry.register(PROCESS_REGISTRY)
    registry.register(DatabaseCollector())
    return generate_latest(registry)
