"""Accepted cases find their place on the agendas of the solid-tumour board.

The board meets on Thursdays at 18:00 Mexico City time and its agenda closes on the Tuesday
before at 23:59; a session of 90 minutes at 10 minutes per case takes 9 cases. The clock
starts on Monday 2 March 2026, 11:00 in Mexico City, so session 1 is Thursday 5 March.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from telemed import extensions
from telemed.cases import service as case_service
from telemed.cases.models import Case, CaseStatus
from telemed.core.errors import Forbidden, InvalidTransition
from telemed.core.transaction import unit_of_work
from telemed.core.vocabulary import Specialty
from telemed.demo import DEMO_DTSTART
from telemed.sessions import assignment
from telemed.sessions.agenda import (
    extraordinary_for_flag,
    place_by_hand,
    release_hold,
    remove_by_hand,
    reorder,
)
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import (
    AgendaItem,
    BoardSession,
    FlagReason,
    ItemOutcome,
    SchedulingFlag,
)
from telemed.sessions.service import generate_sessions, mark_discussed
from tests.conftest import committed
from tests.scenes.boards import (
    PATIENT_REFERENCE,
    agenda_ids,
    check_agenda_invariants,
    emails,
    entry_of,
    events_of,
    fill,
    local,
    pending_entries,
    session_of,
    sessions_of,
)

Accepted = Callable[..., Case]


def flags(case: Case | None = None) -> list[SchedulingFlag]:
    query = select(SchedulingFlag).order_by(SchedulingFlag.id)
    if case is not None:
        query = query.where(SchedulingFlag.case_id == case.id)
    return list(extensions.db.session.scalars(query))


# --- where a case lands -----------------------------------------------------------------


def test_case_accepted_on_monday_lands_on_thursdays_agenda(board, accepted, clock):
    case = accepted()
    report = assign_cases()

    assert report.placed == 1
    session = session_of(case)
    assert session is not None and session.number == 1
    assert session.starts_at == local(2026, 3, 5, 18, 0)
    assert case.status is CaseStatus.SCHEDULED
    [event] = events_of(case, "scheduled")
    assert (event.from_status, event.to_status) == ("accepted", "scheduled")
    assert entry_of(case).agenda_code == f"CE 1.{case.id}"
    assert session.booked == 1
    assert flags() == []


def test_case_accepted_on_wednesday_lands_on_next_weeks_agenda(board, accepted, clock):
    clock.set(local(2026, 3, 4, 9, 0))  # Wednesday: Tuesday 23:59 has passed
    case = accepted()
    assign_cases()

    session = session_of(case)
    assert session.number == 2
    assert session.starts_at == local(2026, 3, 12, 18, 0)
    assert sessions_of(board)[0].booked == 0


def test_agenda_code_uses_the_boards_running_session_number(make_board, accepted):
    make_board(next_session_number=166)
    generate_sessions()
    case = accepted()
    assign_cases()
    assert entry_of(case).agenda_code == f"CE 166.{case.id}"


def test_full_session_overflows_to_the_next(board, accepted):
    cases = [accepted() for _ in range(10)]
    assert assign_cases().placed == 10

    first, second = sessions_of(board)[:2]
    assert first.capacity == 9
    assert agenda_ids(first) == [c.id for c in cases[:9]]
    assert agenda_ids(second) == [cases[9].id]
    assert (first.booked, second.booked) == (9, 1)
    check_agenda_invariants()


@pytest.mark.parametrize("under_way", ["started", "a case decided"])
def test_a_session_under_way_takes_no_new_case(board, accepted, coordinator, clock, under_way):
    """Found by the production rehearsal: a session held early (started, cases discussed,
    ended before its scheduled hour) got six new cases from the next assignment run, because
    each discussion had freed a place and its cut-off was still ahead."""
    cases = [accepted() for _ in range(9)]
    assign_cases()
    first = sessions_of(board)[0]
    first.cutoff_at = first.starts_at  # as an extraordinary session: cases until it starts
    clock.set(first.starts_at - timedelta(minutes=30))  # the room is open
    if under_way == "started":
        first.started_at = clock()
    mark_discussed(coordinator, entry_of(cases[0]))
    late = committed(accepted())
    assert assign_cases().placed == 1
    assert session_of(late) != first
    assert first.booked == 8 and len(agenda_ids(first)) == 8
    check_agenda_invariants()


def test_urgent_case_jumps_the_queue(board, accepted, clock):
    routine = [accepted() for _ in range(12)]
    clock.set(local(2026, 3, 3, 10, 0))  # Tuesday morning
    urgent = accepted(urgency="urgent")
    assign_cases()

    first, second = sessions_of(board)[:2]
    assert agenda_ids(first) == [urgent.id] + [c.id for c in routine[:8]]
    assert agenda_ids(second) == [c.id for c in routine[8:]]
    assert flags() == []  # Thursday 18:00 is within 72 hours of Tuesday 10:00


def test_priority_then_deadline_then_submission_order(board, accepted, clock):
    no_deadline = accepted()
    far = accepted(clinical_deadline="2026-05-01")
    clock.advance(timedelta(minutes=5))
    near_later = accepted(clinical_deadline="2026-03-20")
    clock.advance(timedelta(minutes=5))
    priority = accepted(urgency="priority")
    clock.set(clock() - timedelta(minutes=30))  # sent before near_later, same deadline
    near_earlier = accepted(clinical_deadline="2026-03-20")
    assign_cases()

    [session] = [s for s in sessions_of(board) if s.booked]
    assert agenda_ids(session) == [
        priority.id, near_earlier.id, near_later.id, far.id, no_deadline.id,
    ]  # fmt: skip


def test_cases_of_other_specialties_go_to_their_own_board(board, make_board, accepted):
    leukaemia = accepted(specialty="leukaemia_lymphoma")
    assign_cases()
    assert entry_of(leukaemia) is None
    assert leukaemia.status is CaseStatus.ACCEPTED
    assert sum(s.booked for s in sessions_of(board)) == 0

    other = make_board(specialties=[Specialty.LEUKAEMIA_LYMPHOMA])
    generate_sessions()
    assign_cases()
    assert session_of(leukaemia).board_id == other.id
    assert sum(s.booked for s in sessions_of(board)) == 0


def test_a_second_run_changes_nothing(board, accepted):
    cases = [accepted() for _ in range(11)]
    assign_cases()
    before = [(c.id, entry_of(c).session_id, entry_of(c).position) for c in cases]
    report = assign_cases()
    assert (report.placed, report.flagged) == (0, 0)
    assert [(c.id, entry_of(c).session_id, entry_of(c).position) for c in cases] == before
    assert all(len(events_of(c, "scheduled")) == 1 for c in cases)
    check_agenda_invariants()


def test_cases_that_are_not_accepted_wait(board, send):
    submitted = send()
    assign_cases()
    assert entry_of(submitted) is None
    assert submitted.status is CaseStatus.SUBMITTED


def test_withdrawing_a_scheduled_case_frees_its_place(board, accepted, referring):
    case = accepted()
    assign_cases()
    session = session_of(case)
    assert session.booked == 1

    case_service.transition(referring, case, "withdraw", "La familia decidió otro hospital.")
    assert case.status is CaseStatus.WITHDRAWN
    assert entry_of(case) is None
    assert extensions.db.session.get(BoardSession, session.id).booked == 0
    outcomes = extensions.db.session.scalars(
        select(AgendaItem.outcome).where(AgendaItem.case_id == case.id)
    ).all()
    assert outcomes == [ItemOutcome.WITHDRAWN]
    assign_cases()
    assert entry_of(case) is None


# --- cases the board cannot discuss in time -----------------------------------------------


def test_urgent_case_that_cannot_be_heard_within_72_hours_is_flagged(
    board, accepted, coordinator, clock
):
    first = sessions_of(board)[0]
    fill(first, accepted, coordinator)
    clock.set(local(2026, 3, 3, 10, 0))
    urgent = accepted(urgency="urgent")
    report = assign_cases()

    assert session_of(urgent).number == 2  # placed anyway, a week later
    [flag] = flags(urgent)
    assert flag.reason is FlagReason.URGENT_72H
    assert flag.board_id == board.id
    assert "2" in flag.detail
    assert report.flagged == 1
    [mail] = emails("scheduling_flag")
    assert mail.to_address == coordinator.email
    assert urgent.code in mail.subject
    assert PATIENT_REFERENCE not in mail.subject + mail.body_text
    assert assignment.open_flags([board.id]) == [flag]


def test_deadline_before_the_earliest_session_with_room_is_flagged(board, accepted, clock):
    clock.set(local(2026, 3, 4, 9, 0))  # Wednesday: next session is Thursday 12 March
    too_late = accepted(clinical_deadline="2026-03-11")
    just_in_time = accepted(clinical_deadline="2026-03-12")
    assign_cases()

    assert session_of(too_late).number == 2
    assert [f.reason for f in flags(too_late)] == [FlagReason.DEADLINE]
    assert flags(just_in_time) == []
    assert len(emails("scheduling_flag")) == 1


def test_case_with_no_session_is_flagged_once(make_board, accepted, coordinator):
    make_board()  # no sessions were generated
    case = accepted(urgency="urgent", clinical_deadline="2026-03-10")
    report = assign_cases()

    assert entry_of(case) is None
    assert case.status is CaseStatus.ACCEPTED
    assert report.unplaced == 1
    assert sorted(f.reason.value for f in flags(case)) == ["deadline", "no_session", "urgent_72h"]
    [digest] = emails("scheduling_flag")  # one digest per run, listing every reason
    assert digest.to_address == coordinator.email
    assert case.code in digest.subject
    assert digest.body_text.count(case.code) == 3
    assert PATIENT_REFERENCE not in digest.subject + digest.body_text

    again = assign_cases()
    assert again.flagged == 0
    assert len(flags(case)) == 3
    assert len(emails("scheduling_flag")) == 1


def test_many_flagged_cases_make_one_digest_for_the_coordinator(make_board, accepted, coordinator):
    make_board()  # no sessions: every case is flagged
    cases = [accepted() for _ in range(3)]
    assign_cases()
    [digest] = emails("scheduling_flag")
    assert "3" in digest.subject
    for case in cases:
        assert case.code in digest.body_text


def test_one_click_extraordinary_session_for_a_flagged_case(board, accepted, coordinator, clock):
    fill(sessions_of(board)[0], accepted, coordinator)
    clock.set(local(2026, 3, 3, 10, 0))  # Tuesday
    urgent = accepted(urgency="urgent")
    assign_cases()
    regular = session_of(urgent)
    [flag] = flags(urgent)

    item = extraordinary_for_flag(coordinator, flag)

    session = item.session
    assert session.extraordinary is True
    assert session.number == 9  # after the eight regular sessions
    assert session.starts_at == local(2026, 3, 4, 18, 0)  # tomorrow, at the usual hour
    assert item.pinned is True
    assert pending_entries(urgent) == [item]
    assert urgent.status is CaseStatus.SCHEDULED
    assert extensions.db.session.get(BoardSession, regular.id).booked == 0
    assert assignment.open_flags() == []
    assert item.agenda_code == f"CE 9.{urgent.id}"
    check_agenda_invariants()


def test_extraordinary_session_keeps_the_usual_hour_of_a_demo_board(
    make_board, accepted, coordinator, clock
):
    """Demo boards start their rule at midnight and take the hour from BYHOUR."""
    board = make_board(dtstart=DEMO_DTSTART)
    case = accepted(urgency="urgent")
    assign_cases()
    [flag] = [f for f in flags(case) if f.reason is FlagReason.NO_SESSION]

    item = extraordinary_for_flag(coordinator, flag)
    assert item.session.board_id == board.id
    assert item.session.starts_at == local(2026, 3, 3, 18, 0)


def test_no_session_flag_is_settled_once_the_case_is_placed(make_board, accepted):
    make_board()
    case = accepted()
    assign_cases()
    assert [f.reason for f in assignment.open_flags()] == [FlagReason.NO_SESSION]

    generate_sessions()
    assign_cases()
    assert session_of(case).number == 1
    assert assignment.open_flags() == []  # the dashboard no longer warns about it


def test_placing_by_hand_resolves_the_flag(make_board, accepted, coordinator, clock):
    board = make_board()
    case = accepted()
    assign_cases()
    assert [f.reason for f in flags(case)] == [FlagReason.NO_SESSION]
    generate_sessions()
    place_by_hand(coordinator, case, sessions_of(board)[1])
    assert assignment.open_flags() == []


# --- by hand ----------------------------------------------------------------------------


def test_hand_placement_is_pinned_and_later_runs_leave_it(board, accepted, coordinator):
    third = sessions_of(board)[2]
    case = accepted()
    item = place_by_hand(coordinator, case, third)

    assert item.pinned is True
    assert item.placed_by_id == coordinator.id
    assert case.status is CaseStatus.SCHEDULED
    assert events_of(case, "scheduled")[0].actor_id == coordinator.id
    later = accepted()
    assign_cases()
    assert session_of(case).id == third.id
    assert session_of(later).number == 1
    check_agenda_invariants()


def test_moving_a_case_between_sessions_by_hand(board, accepted, coordinator):
    first, second, third = sessions_of(board)[:3]
    case = accepted()
    assign_cases()
    assert session_of(case).id == first.id

    place_by_hand(coordinator, case, third)
    place_by_hand(coordinator, case, second)
    assert session_of(case).id == second.id
    assert case.status is CaseStatus.SCHEDULED
    assert [s.booked for s in (first, second, third)] == [0, 1, 0]
    outcomes = extensions.db.session.scalars(
        select(AgendaItem.outcome).where(AgendaItem.case_id == case.id).order_by(AgendaItem.id)
    ).all()
    assert outcomes == [ItemOutcome.MOVED, ItemOutcome.MOVED, ItemOutcome.PENDING]
    with pytest.raises(InvalidTransition):
        place_by_hand(coordinator, case, second)
    check_agenda_invariants()


def test_removed_case_waits_on_hold_until_released(board, accepted, coordinator):
    case = accepted()
    assign_cases()
    remove_by_hand(coordinator, entry_of(case))

    assert case.status is CaseStatus.ACCEPTED
    assert case.scheduling_hold is True
    assert sessions_of(board)[0].booked == 0
    assign_cases()
    assert entry_of(case) is None

    release_hold(coordinator, case)
    assign_cases()
    assert session_of(case).number == 1


def test_hand_placement_respects_capacity(board, accepted, coordinator):
    first = sessions_of(board)[0]
    fill(first, accepted, coordinator)
    extra = accepted()

    with pytest.raises(InvalidTransition):
        place_by_hand(coordinator, extra, first)
    assert first.booked == 9
    assert extra.status is CaseStatus.ACCEPTED
    assert entry_of(extra) is None
    assert events_of(extra, "scheduled") == []
    check_agenda_invariants()


def test_moving_into_a_full_session_keeps_the_case_where_it_was(board, accepted, coordinator):
    first, second = sessions_of(board)[:2]
    fill(first, accepted, coordinator)
    case = accepted()
    with unit_of_work():
        place_by_hand(coordinator, case, second)

    with pytest.raises(InvalidTransition), unit_of_work():  # as the coordinator's request
        place_by_hand(coordinator, case, first)  # takes it off the second, then finds no room
    assert session_of(case).id == second.id
    assert case.status is CaseStatus.SCHEDULED
    check_agenda_invariants()


def test_agenda_cannot_be_edited_after_the_cutoff(board, accepted, coordinator, clock):
    first, second = sessions_of(board)[:2]
    placed = accepted()
    other = accepted()
    assign_cases()
    item = entry_of(placed)
    clock.set(first.cutoff_at)  # Tuesday 23:59 in Mexico City

    with pytest.raises(InvalidTransition):
        place_by_hand(coordinator, placed, second)
    with pytest.raises(InvalidTransition):
        remove_by_hand(coordinator, item)
    with pytest.raises(InvalidTransition):
        reorder(coordinator, first, [entry_of(other).id, item.id])
    assert agenda_ids(first) == [placed.id, other.id]
    newcomer = accepted()
    assign_cases()
    assert session_of(newcomer).id == second.id


def test_coordinator_reorders_the_agenda(board, accepted, coordinator):
    cases = [accepted() for _ in range(3)]
    assign_cases()
    first = sessions_of(board)[0]
    items = [entry_of(c) for c in cases]
    reorder(coordinator, first, [items[2].id, items[0].id, items[1].id])
    assert agenda_ids(first) == [cases[2].id, cases[0].id, cases[1].id]


def test_only_staff_place_cases(board, accepted, specialist, referring):
    case = accepted()
    for person in (specialist, referring):
        with pytest.raises(Forbidden):
            place_by_hand(person, case, sessions_of(board)[0])
    assert entry_of(case) is None


def test_board_that_does_not_cover_the_case_refuses_it(board, accepted, coordinator):
    from telemed.core.errors import InputError

    case = accepted(specialty="transplant")
    with pytest.raises(InputError):
        place_by_hand(coordinator, case, sessions_of(board)[0])
    assert extensions.db.session.scalar(select(func.count(AgendaItem.id))) == 0


def test_no_extraordinary_session_for_a_case_already_discussed(board, accepted, coordinator, clock):
    fill(sessions_of(board)[0], accepted, coordinator)
    clock.set(local(2026, 3, 3, 10, 0))
    urgent = accepted(urgency="urgent")
    assign_cases()
    [flag] = flags(urgent)
    clock.set(session_of(urgent).starts_at)
    mark_discussed(coordinator, entry_of(urgent))
    count = len(sessions_of(board))

    with pytest.raises(Forbidden):
        extraordinary_for_flag(coordinator, flag)
    assert len(sessions_of(board)) == count
