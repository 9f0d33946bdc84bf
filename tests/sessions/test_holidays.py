"""No session on Mexico's official rest days (LFT art. 74) nor on a board's days off.

A meeting due on such a day is skipped or held on the previous or next working day, as the
board's ``day_off_policy`` says; marking a day off later moves or cancels what was planned
on it through the usual move and cancel (invitations, notices, cases back to assignment).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from telemed.boards import service as board_service
from telemed.boards.holidays import is_rest_day, rest_days
from telemed.boards.models import Board, BoardDayOff, DayOffPolicy, SessionKind
from telemed.cases.models import CaseStatus
from telemed.core.clock import now_utc
from telemed.demo import load_demo_data
from telemed.extensions import db
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import SessionStatus
from telemed.sessions.service import cancel_session, create_extraordinary, generate_sessions
from telemed.sessions.working_days import is_working_day
from tests.conftest import committed
from tests.invites.helpers import check_invite, invites_to
from tests.scenes.boards import MEXICO_CITY, emails, local, session_of, sessions_of

MONDAYS_10 = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0"


def local_days(board: Board) -> list[date]:
    """The board-local days of its sessions that are not cancelled, in order."""
    return [
        s.starts_at.astimezone(MEXICO_CITY).date()
        for s in sessions_of(board)
        if s.status is not SessionStatus.CANCELLED
    ]


def day_off(board: Board, day: date, reason: str = "Congreso") -> None:
    db.session.add(BoardDayOff(board_id=board.id, day=day, reason=reason, created_at=now_utc()))
    db.session.commit()


# --- the law's list -----------------------------------------------------------------------


def test_the_official_rest_days_are_those_of_article_74():
    assert list(rest_days(2026)) == [
        date(2026, 1, 1), date(2026, 2, 2), date(2026, 3, 16), date(2026, 5, 1),
        date(2026, 9, 16), date(2026, 11, 16), date(2026, 12, 25),
    ]  # fmt: skip
    assert list(rest_days(2027)) == [
        date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 15), date(2027, 5, 1),
        date(2027, 9, 16), date(2027, 11, 15), date(2027, 12, 25),
    ]  # fmt: skip
    # 1 October only in the years the federal government changes hands.
    assert is_rest_day(date(2030, 10, 1)) and is_rest_day(date(2024, 10, 1))
    assert not is_rest_day(date(2026, 10, 1))
    # Christmas Eve and New Year's Eve are working days by law (boards mark them off).
    assert not is_rest_day(date(2026, 12, 24)) and not is_rest_day(date(2026, 12, 31))
    assert rest_days(2026, "es")[date(2026, 3, 16)] == "Natalicio de Benito Juárez"
    assert rest_days(2026, "en")[date(2026, 3, 16)] == "Benito Juárez's birthday"


# --- generating -----------------------------------------------------------------------------


def test_no_session_is_generated_on_a_rest_day_and_skipping_leaves_the_week_out(make_board, clock):
    clock.set(local(2026, 11, 2, 11))  # Monday 2 November, after 10:00; Monday 16th is a rest day
    board = make_board(rrule=MONDAYS_10, dtstart=datetime(2026, 1, 5, 10))
    assert board.day_off_policy is DayOffPolicy.SKIP
    created = generate_sessions(timedelta(weeks=3))
    assert local_days(board) == [date(2026, 11, 9), date(2026, 11, 23)]
    assert created == 2
    assert generate_sessions(timedelta(weeks=3)) == 0  # nothing made twice, nothing filled in


def test_a_session_due_on_a_rest_day_moves_to_the_previous_or_next_working_day(make_board, clock):
    clock.set(local(2026, 11, 2, 11))
    before = make_board(rrule=MONDAYS_10, day_off_policy=DayOffPolicy.PREVIOUS)
    after = make_board(rrule=MONDAYS_10, day_off_policy=DayOffPolicy.NEXT, specialties=())
    generate_sessions(timedelta(weeks=3))

    assert local_days(before) == [date(2026, 11, 9), date(2026, 11, 13), date(2026, 11, 23)]
    assert local_days(after) == [date(2026, 11, 9), date(2026, 11, 17), date(2026, 11, 23)]
    moved = sessions_of(after)[1]
    assert moved.starts_at == local(2026, 11, 17, 10)  # same time, next day
    assert moved.occurrence_key == "2026-11-16T10:00"  # still the meeting of the 16th
    assert moved.cutoff_at == local(2026, 11, 15, 23, 59)  # its own cut-off, two days before
    assert generate_sessions(timedelta(weeks=3)) == 0  # the 16th is not made again


def test_a_moved_session_avoids_days_off_weekends_and_days_with_a_session(
    make_board, coordinator, clock
):
    clock.set(local(2026, 11, 2, 11))
    after = make_board(rrule=MONDAYS_10, day_off_policy=DayOffPolicy.NEXT)
    before = make_board(rrule=MONDAYS_10, day_off_policy=DayOffPolicy.PREVIOUS, specialties=())
    day_off(after, date(2026, 11, 17))
    # An extraordinary session already on Friday 13th: the previous working day is the 12th.
    committed(create_extraordinary(coordinator, before, datetime(2026, 11, 13, 12)))
    generate_sessions(timedelta(weeks=3))
    assert local_days(after) == [date(2026, 11, 9), date(2026, 11, 18), date(2026, 11, 23)]
    assert date(2026, 11, 12) in local_days(before)

    # A Friday meeting moved forward past a weekend lands on Monday.
    clock.set(local(2026, 12, 8, 11))
    friday = make_board(
        rrule="FREQ=WEEKLY;BYDAY=FR;BYHOUR=13", day_off_policy=DayOffPolicy.NEXT, specialties=()
    )
    generate_sessions(timedelta(weeks=3))
    assert date(2026, 12, 25) not in local_days(friday)
    assert date(2026, 12, 28) in local_days(friday)


def test_a_previous_working_day_already_gone_by_skips_the_meeting(make_board, clock):
    clock.set(local(2026, 11, 13, 12))  # Friday noon: Friday 10:00 has passed
    board = make_board(rrule=MONDAYS_10, day_off_policy=DayOffPolicy.PREVIOUS)
    generate_sessions(timedelta(weeks=2))
    assert local_days(board) == [date(2026, 11, 23)]


def test_a_board_day_off_is_skipped_and_comes_back_when_removed(make_board, coordinator, clock):
    board = make_board()  # Thursdays 18:00; clock Monday 2 March 2026
    day_off(board, date(2026, 3, 19))
    generate_sessions()
    assert date(2026, 3, 19) not in local_days(board)

    board_service.remove_day_off(coordinator, db.session.scalars(select(BoardDayOff)).one())
    db.session.commit()
    assert generate_sessions() == 1
    assert date(2026, 3, 19) in local_days(board)


def test_what_is_a_working_day_for_a_board(make_board, coordinator, clock):
    board = make_board()
    generate_sessions()  # Thursdays from 5 March
    day_off(board, date(2026, 3, 10))
    assert is_working_day(board, date(2026, 3, 9))  # a Monday with nothing on it
    assert not is_working_day(board, date(2026, 3, 7))  # Saturday
    assert not is_working_day(board, date(2026, 3, 16))  # Benito Juárez
    assert not is_working_day(board, date(2026, 3, 10))  # the board's day off
    assert not is_working_day(board, date(2026, 3, 12))  # holds a session of the board
    committed(cancel_session(coordinator, sessions_of(board)[1]))
    assert is_working_day(board, date(2026, 3, 12))  # a cancelled session holds nothing


# --- marking a day off with sessions planned on it ---------------------------------------------


def test_marking_a_day_off_moves_its_session_with_updated_invites_and_the_case_told(
    invited, panel, coordinator, chair, member, referring
):
    panel.day_off_policy = DayOffPolicy.NEXT
    db.session.commit()
    session = invited  # Thursday 5 March 18:00, a case of the referring doctor on it
    case = session.pending_items[0].case

    board_service.mark_days_off(coordinator, panel, {"first": "2026-03-05", "reason": "Congreso"})
    db.session.commit()

    assert session.status is SessionStatus.PLANNED
    assert session.starts_at == local(2026, 3, 6, 18)  # Friday, same time
    for person in (chair, member):
        sent = invites_to(person, session)
        assert [m.kind for m in sent] == ["invite", "invite_update"]
        found = check_invite(sent[-1], session, "REQUEST", 1)
        assert found.decoded("DTSTART").isoformat() == "2026-03-06T18:00:00-06:00"
    # The move released the case with precedence and told its doctor; assignment puts it back.
    assert case.status is CaseStatus.ACCEPTED and case.carry_over == 1
    assert [m.to_user_id for m in emails("session_changed")] == [referring.id]
    assign_cases()
    assert session_of(case) == session


def test_marking_a_day_off_cancels_its_session_when_the_board_skips(
    invited, panel, coordinator, chair, referring
):
    session = invited
    case = session.pending_items[0].case
    board_service.mark_days_off(
        coordinator, panel, {"first": "2026-03-05", "last": "2026-03-06", "reason": "Congreso"}
    )
    db.session.commit()
    assert session.status is SessionStatus.CANCELLED
    assert [m.kind for m in invites_to(chair, session)] == ["invite", "invite_cancel"]
    check_invite(invites_to(chair, session)[-1], session, "CANCEL", 1)
    assert case.status is CaseStatus.ACCEPTED and case.carry_over == 1
    assign_cases()
    assert session_of(case).starts_at == local(2026, 3, 12, 18)  # the next meeting, first

    # Removing the day off brings no cancelled session back; nothing is generated for it.
    for row in db.session.scalars(select(BoardDayOff)).all():
        board_service.remove_day_off(coordinator, row)
    db.session.commit()
    generate_sessions()
    assert session.status is SessionStatus.CANCELLED
    assert date(2026, 3, 5) not in local_days(panel)


# --- the demo boards ---------------------------------------------------------------------------


@pytest.fixture
def december(clock):  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 12, 5, 17, 0, tzinfo=UTC))  # Saturday 5 December 2026, 11:00 CDMX
    return clock


def test_the_demo_boards_do_not_meet_over_the_winter_break_nor_on_new_years_day(december):
    created = load_demo_data()
    db.session.commit()
    assert created["days_off"] == 5 * 3 * 9  # five boards, three breaks of nine days
    generate_sessions()

    by_board = {board.name: board for board in db.session.scalars(select(Board))}
    winter = {date(2026, 12, 24) + timedelta(days=n) for n in range(9)}
    for board in by_board.values():
        days = set(local_days(board))
        assert not days & winter, board.name
        assert not any(is_rest_day(day) for day in days), board.name
    thursdays = local_days(by_board["Comité de tumores sólidos"])
    assert date(2026, 12, 17) in thursdays and date(2027, 1, 7) in thursdays
    # The monthly training due on Friday 1 January is held on Monday 4 January.
    training = sessions_of(by_board["Capacitación"])
    moved = [s for s in training if s.occurrence_key == "2027-01-01T13:00"]
    assert [s.starts_at for s in moved] == [local(2027, 1, 4, 13)]
    assert all(s.kind is SessionKind.TRAINING for s in training)

    again = load_demo_data()
    assert again["days_off"] == 0


def test_demo_boards_already_meeting_on_the_winter_break_follow_their_policy(december):
    """A demo database made before the boards had days off: loading the demo again marks
    the break, and the sessions already planned on it are cancelled (or moved) as usual."""
    load_demo_data()
    db.session.execute(BoardDayOff.__table__.delete())
    db.session.commit()
    generate_sessions()
    thursday = db.session.scalars(select(Board).where(Board.name == "Comité de tumores sólidos"))
    board = thursday.one()
    assert date(2026, 12, 24) in local_days(board)  # as the finding saw it

    load_demo_data()
    db.session.commit()
    assert date(2026, 12, 24) not in local_days(board)
    cancelled = [s for s in sessions_of(board) if s.status is SessionStatus.CANCELLED]
    assert {s.starts_at.astimezone(MEXICO_CITY).date() for s in cancelled} == {
        date(2026, 12, 24), date(2026, 12, 31)
    }  # fmt: skip


def test_the_synthetic_history_has_no_session_on_a_closed_day(app, december):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "generate", "--cases", "300", "--years", "2"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    for board in db.session.scalars(select(Board)):
        off = set(
            db.session.scalars(select(BoardDayOff.day).where(BoardDayOff.board_id == board.id))
        )
        for day in local_days(board):
            assert not is_rest_day(day) and day not in off, (board.name, day)
