"""One active scheduler at a time, jobs that only the leader runs, and runs that can be
killed half-way and started again without losing or doubling anything.

APScheduler keeps its jobs in the application database (``SQLAlchemyJobStore``). The tests
start it paused, so its jobs are registered and can be inspected but never fire on their
own in a background thread while the test moves the clock.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from apscheduler.schedulers.base import STATE_PAUSED
from sqlalchemy import func, select

import scheduler.runner
from scheduler import jobs
from scheduler.runner import MISFIRE_GRACE_SECONDS
from telemed.boards.models import Board, MemberRole
from telemed.cases.models import Case, CaseEvent, CaseStatus
from telemed.core.vocabulary import Specialty
from telemed.extensions import db
from telemed.jobs import lease
from telemed.jobs.models import SchedulerLease
from telemed.outbox.models import OutboxMessage
from telemed.sessions import assignment, notices
from telemed.sessions import service as sessions
from telemed.sessions.assignment import AssignmentReport, assign_cases
from telemed.sessions.models import (
    AgendaItem,
    BoardSession,
    ItemOutcome,
    SchedulingFlag,
    SessionStatus,
)
from telemed.sessions.service import close_due_agendas, generate_sessions
from tests.conftest import committed
from tests.scenes.boards import check_agenda_invariants, emails, entry_of

TTL = timedelta(seconds=45)
JOB_IDS = {"generate_sessions", "assign_cases", "close_agendas", "finish_sessions",
           "deliver_outbox", "sync_invites", "check_quorum", "send_reminders",
           "flag_missing_material", "refresh_figures", "read_calendar_replies",
           "run_capacity_plans"}  # fmt: skip


# --- the lease --------------------------------------------------------------------------


def test_only_one_holder_until_the_lease_expires(clock):
    assert lease.try_acquire("a", TTL) is True
    assert lease.try_acquire("b", TTL) is False
    assert lease.holds("a") and not lease.holds("b")

    clock.advance(TTL / 2)
    assert lease.try_acquire("a", TTL) is True  # renewed for another full period
    clock.advance(TTL - timedelta(seconds=1))
    assert lease.try_acquire("b", TTL) is False
    assert lease.holds("a")

    clock.advance(timedelta(seconds=1))  # "a" stopped renewing: it is dead
    assert not lease.holds("a")
    assert lease.try_acquire("b", TTL) is True
    assert lease.holds("b") and not lease.holds("a")
    assert lease.try_acquire("a", TTL) is False
    assert db.session.scalar(select(func.count()).select_from(SchedulerLease)) == 1


def test_released_lease_is_taken_at_once(clock):
    lease.try_acquire("a", TTL)
    lease.release("a")
    assert not lease.holds("a")
    assert lease.try_acquire("b", TTL) is True


# --- the runner -------------------------------------------------------------------------


def test_runner_starts_jobs_only_while_it_holds_the_lease(runners, clock):
    first, second = runners("a"), runners("b")
    assert first.step() is True
    assert first.active and first.scheduler.state == STATE_PAUSED
    assert second.step() is False
    assert not second.active

    clock.advance(TTL / 3)  # the leader renews on each step; the standby keeps waiting
    assert first.step() is True
    assert second.step() is False

    clock.advance(TTL)  # the leader died without renewing
    assert second.step() is True
    assert second.active
    assert first.step() is False
    assert not first.active  # it stood down when it found the lease taken
    assert {job.id for job in second.scheduler.get_jobs()} == JOB_IDS


def test_registered_jobs_are_defined_on_purpose(runners):
    runner = runners("a")
    runner.step()
    scheduled = {job.id: job for job in runner.scheduler.get_jobs()}

    assert set(scheduled) == JOB_IDS
    assert 60 <= MISFIRE_GRACE_SECONDS <= 3600
    for job_id, job in scheduled.items():
        assert job.func_ref == f"scheduler.jobs:{job_id}"
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS
        assert job.trigger.timezone == UTC
    assert scheduled["assign_cases"].trigger.interval == timedelta(minutes=5)
    assert scheduled["read_calendar_replies"].trigger.interval == timedelta(minutes=2)

    # Registering again (a restart, or a takeover) replaces the stored jobs.
    scheduler.runner.add_jobs(runner.app, runner.scheduler)
    assert len(runner.scheduler.get_jobs()) == len(JOB_IDS)


# --- jobs run only in the leader ----------------------------------------------------------


def test_jobs_do_nothing_unless_this_process_leads(app, board, accepted, clock):
    case = accepted()
    jobs.bind(app, "x")

    assert jobs.assign_cases() is None
    db.session.expire_all()
    assert entry_of(case) is None
    assert case.status is CaseStatus.ACCEPTED

    assert committed(lease.try_acquire("y", TTL))
    assert jobs.assign_cases() is None  # someone else leads

    clock.advance(TTL)
    assert committed(lease.try_acquire("x", TTL))
    report = jobs.assign_cases()
    assert isinstance(report, AssignmentReport)
    assert report.placed == 1
    db.session.expire_all()
    assert case.status is CaseStatus.SCHEDULED

    clock.advance(TTL)  # lease lapsed: a standby may have taken over
    assert jobs.generate_sessions() is None
    assert jobs.close_agendas() is None
    assert jobs.finish_sessions() is None
    assert jobs.deliver_outbox() is None


def test_every_job_runs_its_service_for_the_leader(app, board, accepted, clock, tmp_path):
    app.config["OUTBOX_DIR"], previous = str(tmp_path), app.config["OUTBOX_DIR"]
    try:
        accepted()
        jobs.bind(app, "x")
        committed(lease.try_acquire("x", TTL))
        assert jobs.generate_sessions() == 0  # the board fixture made them already
        assert jobs.assign_cases().placed == 1
        clock.set(db.session.scalars(select(func.min(BoardSession.cutoff_at))).one())
        committed(lease.try_acquire("x", TTL))
        assert jobs.close_agendas() == 1
        assert jobs.deliver_outbox() == 2  # the chair and the referring doctor
        assert len(list(tmp_path.glob("*.eml"))) == 2
        clock.advance(timedelta(days=3))
        committed(lease.try_acquire("x", TTL))
        assert jobs.finish_sessions() == 1
    finally:
        app.config["OUTBOX_DIR"] = previous


# --- killed half-way and started again ----------------------------------------------------


@pytest.fixture
def two_boards(make_board, chair, accepted, clock) -> dict[int, str]:
    """Two boards, each with 11 routine cases and an urgent one; returns labels by case id."""
    make_board(members=[(chair, MemberRole.CHAIR)])
    make_board(specialties=[Specialty.LEUKAEMIA_LYMPHOMA])
    generate_sessions()
    labels: dict[int, str] = {}
    for prefix, specialty in (("S", "solid_tumours"), ("L", "leukaemia_lymphoma")):
        for n in range(11):
            labels[accepted(specialty=specialty).id] = f"{prefix}{n}"
        labels[accepted(specialty=specialty, urgency="urgent").id] = f"{prefix}U"
    return labels


def board_key(board: Board) -> str:
    """ "S" for the solid-tumour board, "L" for the leukaemia board."""
    return board.specialties[0].specialty.value[0].upper()


def snapshot(labels: dict[int, str]) -> dict[str, Any]:
    """What a user could notice, with cases named by label rather than id."""
    db.session.expire_all()
    placements = {
        labels[item.case_id]: (board_key(item.session.board), item.session.number, item.position)
        for item in db.session.scalars(
            select(AgendaItem).where(AgendaItem.outcome == ItemOutcome.PENDING)
        )
    }
    booked = sorted(
        (board_key(session.board), session.number, session.booked)
        for session in db.session.scalars(select(BoardSession).where(BoardSession.booked > 0))
    )
    events = dict(
        db.session.execute(
            select(CaseEvent.case_id, func.count())
            .where(CaseEvent.kind == "scheduled")
            .group_by(CaseEvent.case_id)
        ).all()
    )
    flags = sorted(
        (labels[case_id], reason.value)
        for case_id, reason in db.session.execute(
            select(SchedulingFlag.case_id, SchedulingFlag.reason)
        ).all()
    )
    return {
        "placements": placements,
        "booked": booked,
        "events": sorted((labels[k], v) for k, v in events.items()),
        "flags": flags,
        "statuses": {labels[c.id]: c.status.value for c in db.session.scalars(select(Case))},
        "emails": db.session.scalar(select(func.count(OutboxMessage.id))),
    }


def expected(labels: dict[int, str]) -> dict[str, Any]:
    """A clean run: on each board the urgent case first, eight routine cases, three a week
    later; each case scheduled once; the urgent ones flagged and their coordinator told."""
    placements: dict[str, tuple[str, int, int]] = {}
    for key in ("S", "L"):
        order = [f"{key}U"] + [f"{key}{n}" for n in range(11)]
        for index, label in enumerate(order):
            placements[label] = (key, 1 + index // 9, 1 + index % 9)
    return {
        "placements": placements,
        "booked": [("L", 1, 9), ("L", 2, 3), ("S", 1, 9), ("S", 2, 3)],
        "events": sorted((label, 1) for label in labels.values()),
        # Monday 11:00 → Thursday 18:00 is 79 hours: too late for an urgent case.
        "flags": [("LU", "urgent_72h"), ("SU", "urgent_72h")],
        "statuses": {label: "scheduled" for label in labels.values()},
        "emails": 2,
    }


def crash_on_call(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, number: int = 2) -> None:
    """Kill the process the ``number``-th time ``module.name`` is called."""
    original = getattr(module, name)
    calls = {"n": 0}

    def dying(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == number:
            raise SystemExit("scheduler killed")  # not an Exception: nothing may catch it
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, dying)


@pytest.mark.parametrize("where", [None, "take_places_many", "mark_scheduled", "flag_at_risk"])
def test_assignment_killed_half_way_then_run_again_equals_a_clean_run(
    two_boards, monkeypatch, where
):
    if where is not None:
        crash_on_call(monkeypatch, assignment, where)
        with pytest.raises(SystemExit):
            assign_cases()
        db.session.rollback()  # the process died: its open transaction is gone
        monkeypatch.undo()
        half = snapshot(two_boards)
        assert len(half["placements"]) < len(two_boards)

    assign_cases()
    state = snapshot(two_boards)
    assert state == expected(two_boards)
    check_agenda_invariants()

    assign_cases()  # and once more: nothing changes
    assert snapshot(two_boards) == state


def test_closing_agendas_killed_half_way_then_run_again(
    make_board, chair, accepted, monkeypatch, clock, referring
):
    for specialty in (Specialty.SOLID_TUMOURS, Specialty.LEUKAEMIA_LYMPHOMA):
        make_board(specialties=[specialty], members=[(chair, MemberRole.CHAIR)])
    generate_sessions()
    accepted(specialty="solid_tumours")
    accepted(specialty="leukaemia_lymphoma")
    assign_cases()
    clock.set(db.session.scalars(select(func.min(BoardSession.cutoff_at))).one())

    # Two attendees per session: the third notice is the first of the second session.
    crash_on_call(monkeypatch, notices, "agenda_closed", number=3)
    with pytest.raises(SystemExit):
        close_due_agendas()
    db.session.rollback()  # the process died: its run is one transaction, all of it undone
    monkeypatch.undo()
    assert close_due_agendas() == 2  # both again, and each notice below goes out once

    closed = db.session.scalars(
        select(BoardSession).where(BoardSession.status == SessionStatus.AGENDA_CLOSED)
    ).all()
    assert len(closed) == 2
    assert all(session.order_of_business for session in closed)
    sent = sorted((m.to_address, m.subject) for m in emails("agenda_closed"))
    assert len(sent) == len(set(sent)) == 4  # the chair and the doctor, for each board
    assert {address for address, _subject in sent} == {chair.email, referring.email}
    assert close_due_agendas() == 0
    assert len(emails("agenda_closed")) == 4


def test_finishing_sessions_twice_carries_each_case_over_once(board, accepted, clock):
    case = accepted()
    assign_cases()
    clock.set(db.session.scalars(select(func.min(BoardSession.ends_at))).one())
    assert sessions.finish_ended_sessions() == 1
    assert sessions.finish_ended_sessions() == 0
    assert case.carry_over == 1
    assert len(emails("case_not_discussed")) == 1
