"""The background jobs, in one table: what each runs and how often.

The scheduler registers every entry (``scheduler/runner.py``, one function per entry in
``scheduler/jobs.py``) and ``flask schedule run`` runs each once, in this order, so the two
can never drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telemed.invites import replies
from telemed.invites import service as invites
from telemed.outbox import service as outbox
from telemed.preparation import material
from telemed.reports import answers
from telemed.sessions import assignment
from telemed.sessions import service as sessions
from telemed.simulation import plans


@dataclass(frozen=True)
class Job:
    name: str  # also the scheduler's job id and its function in scheduler.jobs
    run: Callable[[], Any]  # an idempotent service: running it twice changes nothing more
    every: Callable[[Mapping[str, Any]], timedelta]  # from the configuration
    summary: str  # what ``flask schedule run`` prints before the result


def minutes(value: int) -> Callable[[Mapping[str, Any]], timedelta]:
    return lambda _config: timedelta(minutes=value)


def every_assignment(config: Mapping[str, Any]) -> timedelta:
    return timedelta(minutes=int(config["ASSIGN_EVERY_MINUTES"]))


def every_reply_check(config: Mapping[str, Any]) -> timedelta:
    return timedelta(minutes=int(config["IMAP_EVERY_MINUTES"]))


JOBS: tuple[Job, ...] = (
    Job("generate_sessions", sessions.generate_sessions, minutes(60), "sessions created"),
    Job("close_agendas", sessions.close_due_agendas, minutes(1), "agendas closed"),
    Job("finish_sessions", sessions.finish_ended_sessions, minutes(5), "sessions finished"),
    Job("assign_cases", assignment.assign_cases, every_assignment, "cases placed"),
    Job("flag_missing_material", material.flag_missing_material, minutes(15),
        "cases flagged for missing material"),
    Job("sync_invites", invites.sync_due_invites, minutes(1),
        "sessions whose invites were updated"),
    Job("read_calendar_replies", replies.read_replies, every_reply_check,
        "answers from calendar clients"),
    Job("check_quorum", invites.check_quorum, minutes(15), "quorum warnings"),
    Job("send_reminders", invites.send_reminders, minutes(1), "reminders"),
    Job("refresh_figures", answers.refresh, minutes(15), "months rolled up"),
    Job("deliver_outbox", outbox.deliver_due, minutes(1), "emails sent"),
    Job("run_capacity_plans", plans.run_capacity_plans, minutes(1), "capacity plans run"),
)  # fmt: skip


def job(name: str) -> Job:
    """The entry called ``name`` (a ``KeyError`` names a job the table lacks)."""
    return {entry.name: entry for entry in JOBS}[name]


def describe(result: Any) -> str:
    """A job's result in one line (the assignment reports placed, flagged and waiting)."""
    if isinstance(result, assignment.AssignmentReport):
        return f"{result.placed} (flagged: {result.flagged}, waiting: {result.unplaced})"
    return str(result)
