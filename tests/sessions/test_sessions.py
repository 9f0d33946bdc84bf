"""Sessions are created ahead, close their agenda at the cut-off, are held, moved or cancelled.

The solid-tumour board meets on Thursdays at 18:00 Mexico City time (00:00 UTC on Friday);
its agenda closes on the Tuesday before at 23:59. The clock starts on Monday 2 March 2026.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from telemed.boards.models import SessionKind
from telemed.cases.models import CaseStatus
from telemed.core.errors import Forbidden, InputError, InvalidTransition
from telemed.extensions import db
from telemed.sessions.agenda import place_by_hand
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import AgendaItem, BoardSession, ItemOutcome, SessionStatus
from telemed.sessions.service import (
    cancel_session,
    close_due_agendas,
    create_extraordinary,
    finish_ended_sessions,
    generate_sessions,
    mark_discussed,
    move_session,
)
from tests.scenes.boards import (
    MEXICO_CITY,
    PATIENT_REFERENCE,
    agenda_ids,
    check_agenda_invariants,
    emails,
    entry_of,
    events_of,
    local,
    session_of,
    sessions_of,
    utc,
)

# --- created ahead ----------------------------------------------------------------------


def test_eight_weeks_of_sessions_numbered_in_order(make_board, clock):
    board = make_board(next_session_number=166)
    assert generate_sessions() == 8

    sessions = sessions_of(board)
    assert [s.number for s in sessions] == list(range(166, 174))
    assert [s.starts_at for s in sessions] == [
        utc(2026, 3, 6, 0, 0) + timedelta(weeks=week) for week in range(8)
    ]  # Thursday 18:00 in Mexico City is Friday 00:00 UTC
    for session in sessions:
        start = session.starts_at.astimezone(MEXICO_CITY)
        assert (start.strftime("%A"), start.time()) == ("Thursday", time(18, 0))
        cutoff = session.cutoff_at.astimezone(MEXICO_CITY)
        assert (cutoff.strftime("%A"), cutoff.time()) == ("Tuesday", time(23, 59))
        assert cutoff.date() == start.date() - timedelta(days=2)
        assert session.ends_at - session.starts_at == timedelta(minutes=90)
        assert (session.status, session.capacity, session.booked) == (SessionStatus.PLANNED, 9, 0)
        assert session.room_url.endswith(f"/sesion-{session.number}")
    assert len({s.room_url for s in sessions}) == 8


def test_generating_again_creates_nothing_and_a_week_later_one_more(make_board, clock):
    board = make_board()
    generate_sessions()
    assert generate_sessions() == 0
    assert len(sessions_of(board)) == 8

    clock.advance(timedelta(weeks=1))
    assert generate_sessions() == 1
    sessions = sessions_of(board)
    assert [s.number for s in sessions] == list(range(1, 10))
    assert sessions[-1].starts_at == local(2026, 4, 30, 18, 0)


def test_training_series_gets_sessions_without_case_places(make_board):
    board = make_board(
        kind=SessionKind.TRAINING, specialties=(), rrule="FREQ=MONTHLY;BYDAY=1FR;BYHOUR=13"
    )
    make_board(active=False)
    generate_sessions()
    sessions = db.session.scalars(select(BoardSession).order_by(BoardSession.starts_at)).all()
    assert {s.board_id for s in sessions} == {board.id}
    assert [s.starts_at for s in sessions] == [local(2026, 3, 6, 13), local(2026, 4, 3, 13)]
    assert {s.capacity for s in sessions} == {0}


# --- agenda closes at the cut-off ----------------------------------------------------------


def test_agenda_closes_at_the_cutoff_and_attendees_are_told_once(
    board, accepted, make_case, other_referring, accept, referring, chair, clock
):
    mine = [accepted(), accepted()]
    theirs = accept(make_case(by=other_referring, specialty="solid_tumours", urgency="routine"))
    assign_cases()
    first, second = sessions_of(board)[:2]

    clock.set(first.cutoff_at - timedelta(minutes=1))
    assert close_due_agendas() == 0
    assert first.status is SessionStatus.PLANNED

    clock.set(local(2026, 3, 3, 23, 59))  # Tuesday 23:59 in Mexico City
    assert close_due_agendas() == 1
    assert first.status is SessionStatus.AGENDA_CLOSED
    assert second.status is SessionStatus.PLANNED
    sections = first.order_of_business
    assert [s["key"] for s in sections] == [
        "welcome", "follow_up", "cases", "general", "agreements", "close",
    ]  # fmt: skip
    cases_section = sections[2]
    assert cases_section["entries"] == [f"CE 1.{c.id}" for c in [*mine, theirs]]

    sent = emails("agenda_closed")
    assert sorted(m.to_address for m in sent) == sorted(
        [chair.email, referring.email, other_referring.email]
    )
    for mail in sent:
        assert PATIENT_REFERENCE not in mail.subject + mail.body_text
        assert "NSS" not in mail.body_text
        assert f"CE 1.{theirs.id}" in mail.body_text
        assert first.room_url in mail.body_text

    clock.advance(timedelta(minutes=5))
    assert close_due_agendas() == 0
    assert len(emails("agenda_closed")) == 3


def test_closed_agenda_takes_no_more_cases(board, accepted, coordinator, clock):
    first, second = sessions_of(board)[:2]
    clock.set(first.cutoff_at)
    close_due_agendas()
    late = accepted()
    with pytest.raises(InvalidTransition):
        place_by_hand(coordinator, late, first)
    assign_cases()
    assert session_of(late).id == second.id
    assert first.booked == 0


# --- after the session ----------------------------------------------------------------


def test_undiscussed_cases_return_first_and_their_doctors_are_told(
    board, accepted, make_case, accept, other_referring, referring, coordinator, clock
):
    discussed = accepted()
    waiting = accepted()
    theirs = accept(make_case(by=other_referring, specialty="solid_tumours", urgency="routine"))
    assign_cases()
    first, second = sessions_of(board)[:2]
    clock.set(first.cutoff_at)
    close_due_agendas()

    clock.set(first.starts_at + timedelta(minutes=30))
    mark_discussed(coordinator, entry_of(discussed))
    assert discussed.status is CaseStatus.DISCUSSED
    assert first.booked == 2

    clock.set(first.ends_at)
    assert finish_ended_sessions() == 1
    assert first.status is SessionStatus.HELD
    for case in (waiting, theirs):
        assert case.status is CaseStatus.ACCEPTED
        assert case.carry_over == 1
        assert entry_of(case) is None
    assert discussed.status is CaseStatus.DISCUSSED
    assert first.booked == 0
    outcomes = db.session.scalars(
        select(AgendaItem.outcome).where(AgendaItem.session_id == first.id)
        .order_by(AgendaItem.position)
    ).all()  # fmt: skip
    assert outcomes == [ItemOutcome.DISCUSSED, ItemOutcome.NOT_DISCUSSED, ItemOutcome.NOT_DISCUSSED]

    told = emails("case_not_discussed")
    assert sorted(m.to_address for m in told) == sorted([referring.email, other_referring.email])
    assert all(PATIENT_REFERENCE not in m.subject + m.body_text for m in told)
    assert finish_ended_sessions() == 0
    assert len(emails("case_not_discussed")) == 2

    urgent = accepted(urgency="urgent")
    newer = accepted()
    assign_cases()
    assert agenda_ids(second) == [waiting.id, theirs.id, urgent.id, newer.id]
    assert entry_of(waiting).carried_over is True
    assert entry_of(waiting).agenda_code == f"CE 2.{waiting.id}"
    check_agenda_invariants()


def test_carried_over_case_comes_before_urgent_ones(board, accepted, coordinator, clock):
    carried = accepted()
    assign_cases()
    first, second = sessions_of(board)[:2]
    clock.set(first.ends_at)
    finish_ended_sessions()
    urgent = [accepted(urgency="urgent") for _ in range(9)]
    assign_cases()
    assert agenda_ids(second) == [carried.id] + [c.id for c in urgent[:8]]
    assert session_of(urgent[8]).number == 3


def test_case_cannot_be_marked_discussed_long_before_the_session(board, accepted, coordinator):
    case = accepted()
    assign_cases()
    with pytest.raises(InvalidTransition):
        mark_discussed(coordinator, entry_of(case))
    assert case.status is CaseStatus.SCHEDULED


# --- moved and cancelled ----------------------------------------------------------------


def test_cancelled_sessions_cases_move_with_precedence(
    board, accepted, coordinator, referring, clock
):
    cases = [accepted() for _ in range(11)]
    assign_cases()
    first, second, third = sessions_of(board)[:3]

    cancel_session(coordinator, first)
    assert first.status is SessionStatus.CANCELLED
    assert first.sequence == 1
    assert first.booked == 0
    displaced = cases[:9]
    for case in displaced:
        assert case.status is CaseStatus.ACCEPTED
        assert case.carry_over == 1
        assert events_of(case, "unscheduled")
    changed = emails("session_changed")
    assert len(changed) == 9
    assert {m.to_address for m in changed} == {referring.email}
    assert all(PATIENT_REFERENCE not in m.subject + m.body_text for m in changed)

    clock.set(local(2026, 3, 3, 10, 0))
    urgent = accepted(urgency="urgent")
    assign_cases()
    assert agenda_ids(first) == []
    assert agenda_ids(second) == [c.id for c in cases[9:]] + [c.id for c in displaced[:7]]
    assert agenda_ids(third) == [c.id for c in displaced[7:]] + [urgent.id]
    with pytest.raises(InvalidTransition):
        cancel_session(coordinator, first)
    check_agenda_invariants()


def test_moved_session_keeps_its_number_and_its_cases_come_back_first(
    board, accepted, coordinator, clock
):
    cases = [accepted() for _ in range(3)]
    assign_cases()
    first = sessions_of(board)[0]
    newcomer = accepted()

    move_session(coordinator, first, datetime(2026, 3, 6, 18, 0))  # to Friday
    assert first.sequence == 1
    assert first.number == 1
    assert first.starts_at == local(2026, 3, 6, 18, 0)
    assert first.ends_at == local(2026, 3, 6, 19, 30)
    assert first.cutoff_at == local(2026, 3, 4, 23, 59)
    assert first.booked == 0
    assert all(c.carry_over == 1 for c in cases)
    assert len(emails("session_changed")) == 3

    assign_cases()
    assert agenda_ids(first) == [c.id for c in cases] + [newcomer.id]
    assert all(entry_of(c).carried_over for c in cases)
    check_agenda_invariants()


def test_sessions_cannot_be_moved_into_the_past_or_by_doctors(board, coordinator, referring, clock):
    first = sessions_of(board)[0]
    with pytest.raises(InputError):
        move_session(coordinator, first, datetime(2026, 3, 1, 18, 0))
    with pytest.raises(Forbidden):
        cancel_session(referring, first)
    db.session.refresh(first)
    assert (first.status, first.sequence) == (SessionStatus.PLANNED, 0)
    clock.set(first.ends_at)
    finish_ended_sessions()
    with pytest.raises(InvalidTransition):
        move_session(coordinator, first, datetime(2026, 3, 20, 18, 0))


def test_extraordinary_session_takes_cases_until_it_starts(board, accepted, coordinator, clock):
    clock.set(local(2026, 3, 9, 9, 0))
    extra = create_extraordinary(coordinator, board, datetime(2026, 3, 10, 12, 0))
    assert extra.extraordinary is True
    assert extra.number == 9
    assert extra.cutoff_at == extra.starts_at
    case = accepted()
    assign_cases()
    assert session_of(case).id == extra.id
    assert db.session.scalar(select(func.count(BoardSession.id))) == 9
    assert extra.starts_at.astimezone(ZoneInfo("America/Mexico_City")).hour == 12


def test_session_moved_after_its_cutoff_keeps_its_frozen_agenda(
    board, accepted, coordinator, clock
):
    cases = [accepted() for _ in range(2)]
    assign_cases()
    first = sessions_of(board)[0]
    clock.set(first.cutoff_at)
    close_due_agendas()

    # Wednesday: Thursday's session moves to 20:00 the same day; its cut-off has passed.
    clock.set(local(2026, 3, 4, 12, 0))
    move_session(coordinator, first, datetime(2026, 3, 5, 20, 0))
    assert first.starts_at == local(2026, 3, 5, 20, 0)
    assert first.sequence == 1
    assert first.status.value == "agenda_closed"
    assert agenda_ids(first) == [c.id for c in cases]
    assert all(c.carry_over == 0 for c in cases)
    assert emails("session_changed") == []
    check_agenda_invariants()
