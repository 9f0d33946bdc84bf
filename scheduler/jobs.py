"""Thin jobs: each calls one idempotent service inside an app context, and only while
this process holds the scheduler lease (so a standby never runs a job at the same time)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from telemed.core.transaction import unit_of_work
from telemed.invites import service as invites
from telemed.jobs import lease, runs
from telemed.outbox import service as outbox
from telemed.preparation import material
from telemed.reports import rollups
from telemed.sessions import assignment
from telemed.sessions import service as sessions

log = logging.getLogger(__name__)


@dataclass
class Context:
    app: Flask | None = None
    holder: str = ""


context = Context()


def bind(app: Flask, holder: str) -> None:
    context.app = app
    context.holder = holder


def run_as_leader(name: str, work: Callable[[], Any]) -> Any:
    if context.app is None:
        raise RuntimeError("scheduler.jobs.bind(app, holder) was not called")
    with context.app.app_context(), unit_of_work():
        if not lease.holds(context.holder):
            log.info("skipping %s: this process is not the active scheduler", name)
            return None
        result = work()
        runs.record_success(name, context.holder)  # committed with the job's work, or not at all
        log.info("%s: %s", name, result)
        return result


def generate_sessions() -> Any:
    return run_as_leader("generate_sessions", sessions.generate_sessions)


def assign_cases() -> Any:
    return run_as_leader("assign_cases", assignment.assign_cases)


def close_agendas() -> Any:
    return run_as_leader("close_agendas", sessions.close_due_agendas)


def finish_sessions() -> Any:
    return run_as_leader("finish_sessions", sessions.finish_ended_sessions)


def deliver_outbox() -> Any:
    return run_as_leader("deliver_outbox", outbox.deliver_due)


def sync_invites() -> Any:
    return run_as_leader("sync_invites", invites.sync_due_invites)


def check_quorum() -> Any:
    return run_as_leader("check_quorum", invites.check_quorum)


def send_reminders() -> Any:
    return run_as_leader("send_reminders", invites.send_reminders)


def flag_missing_material() -> Any:
    return run_as_leader("flag_missing_material", material.flag_missing_material)


def refresh_figures() -> Any:
    """Rolls up the months closed (or changed) since the last run, so no dashboard reader
    waits for them."""
    return run_as_leader("refresh_figures", rollups.refresh)
