"""Thin jobs: each calls one idempotent service of ``telemed.schedule.JOBS`` inside an app
context, and only while this process holds the scheduler lease (so a standby never runs a
job at the same time). APScheduler stores each job by the name of its function here."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from telemed import schedule
from telemed.core.transaction import unit_of_work
from telemed.jobs import checkpoint, lease, runs

log = logging.getLogger(__name__)


@dataclass
class Context:
    """What the jobs of this process share with its ``Runner``."""

    app: Flask | None = None
    holder: str = ""
    # Set when the runner is stopping: no new run starts.
    closing: threading.Event = field(default_factory=threading.Event)
    # Set when running jobs must end at their next checkpoint (grace period over, lease lost).
    halt: threading.Event = field(default_factory=threading.Event)
    running: int = 0
    idle: threading.Condition = field(default_factory=threading.Condition)


context = Context()


def bind(app: Flask, holder: str) -> None:
    context.app = app
    context.holder = holder
    open_for_work()


def open_for_work() -> None:
    """Let runs start again (a runner that became the active scheduler)."""
    context.closing.clear()
    context.halt.clear()


def running() -> int:
    """How many job runs are under way in this process."""
    with context.idle:
        return context.running


def wait_idle(timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for the running jobs to end; True when none runs."""
    with context.idle:
        return context.idle.wait_for(lambda: context.running == 0, timeout)


def run_as_leader(name: str, work: Callable[[], Any]) -> Any:
    """Run ``work`` as one unit of work, only while this process holds the lease and is not
    stopping, and so that it stops at its next checkpoint when asked to."""
    if context.app is None:
        raise RuntimeError("scheduler.jobs.bind(app, holder) was not called")
    with context.idle:
        if context.closing.is_set():
            log.info("skipping %s: the scheduler is stopping", name)
            return None
        context.running += 1
    try:
        with context.app.app_context(), unit_of_work():
            if not lease.holds(context.holder):
                log.info("skipping %s: this process is not the active scheduler", name)
                return None
            with checkpoint.watching(context.halt, context.holder):
                result = work()
            runs.record_success(name, context.holder)  # committed with the job's work, or not
            log.info("%s: %s", name, result)
            return result
    finally:
        with context.idle:
            context.running -= 1
            context.idle.notify_all()


def generate_sessions() -> Any:
    return run_as_leader("generate_sessions", schedule.job("generate_sessions").run)


def assign_cases() -> Any:
    return run_as_leader("assign_cases", schedule.job("assign_cases").run)


def close_agendas() -> Any:
    return run_as_leader("close_agendas", schedule.job("close_agendas").run)


def finish_sessions() -> Any:
    return run_as_leader("finish_sessions", schedule.job("finish_sessions").run)


def deliver_outbox() -> Any:
    return run_as_leader("deliver_outbox", schedule.job("deliver_outbox").run)


def sync_invites() -> Any:
    return run_as_leader("sync_invites", schedule.job("sync_invites").run)


def read_calendar_replies() -> Any:
    return run_as_leader("read_calendar_replies", schedule.job("read_calendar_replies").run)


def check_quorum() -> Any:
    return run_as_leader("check_quorum", schedule.job("check_quorum").run)


def send_reminders() -> Any:
    return run_as_leader("send_reminders", schedule.job("send_reminders").run)


def flag_missing_material() -> Any:
    return run_as_leader("flag_missing_material", schedule.job("flag_missing_material").run)


def refresh_figures() -> Any:
    return run_as_leader("refresh_figures", schedule.job("refresh_figures").run)


def run_capacity_plans() -> Any:
    return run_as_leader("run_capacity_plans", schedule.job("run_capacity_plans").run)
