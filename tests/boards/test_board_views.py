"""The board pages: coordinators run boards, sessions and agendas; doctors see their session.

The solid-tumour board (``board`` fixture) meets on Thursdays at 18:00 Mexico City time and
closes its agenda on the Tuesday before at 23:59; the clock starts on Monday 2 March 2026
(11:00 in Mexico City), so session 1 is Thursday 5 March (Friday 00:00 UTC).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from telemed.audit.models import AuditEntry
from telemed.auth.models import Discipline, Role
from telemed.boards.models import Board, BoardMember, MemberRole, SessionKind
from telemed.cases.models import CaseStatus
from telemed.core.vocabulary import Specialty
from telemed.extensions import db
from telemed.sessions.agenda import pending_item, remove_by_hand
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import (
    AgendaItem,
    BoardSession,
    ItemOutcome,
    SchedulingFlag,
    SessionStatus,
)
from telemed.sessions.service import close_due_agendas, finish_ended_sessions, generate_sessions
from tests.conftest import client_for
from tests.scenes.boards import agenda_ids, local, session_of, sessions_of, utc

ROOM = "https://video.telemed.local/comite-{board}/sesion-{session}"


def board_form(**overrides):  # type: ignore[no-untyped-def]
    """A complete, valid board form as the browser sends it."""
    data = {
        "name": "Comité de tumores del SNC",
        "kind": "case_review",
        "specialties": ["cns_tumours", "bone_soft_tissue"],
        "coordinator_id": "",
        "timezone": "America/Mexico_City",
        "rrule": "FREQ=WEEKLY;BYDAY=TH",
        "start_date": "2026-01-01",
        "start_time": "18:00",
        "duration_minutes": "90",
        "minutes_per_case": "15",
        "cutoff_days_before": "2",
        "cutoff_time": "23:59",
        "room_url_pattern": ROOM,
        "quorum_disciplines": ["paediatric_oncology", "radiology"],
        "active": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


def audits(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def section(page: str, element_id: str) -> str:
    """The markup of the element with this id (up to its closing tag of the same name)."""
    match = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', page, re.DOTALL)
    assert match is not None, f"no #{element_id} on the page"
    return match.group(2)


def plain(markup: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))


@pytest.fixture
def first(board) -> BoardSession:  # type: ignore[no-untyped-def]
    return sessions_of(board)[0]


@pytest.fixture
def placed(board, accepted):  # type: ignore[no-untyped-def]
    """A routine case from Tijuana, accepted on Monday and placed on Thursday's session."""
    case = accepted()
    assign_cases()
    return case


# --- boards: list, create, edit ---------------------------------------------------------


def test_everyone_logged_in_sees_the_boards_and_a_board_page(app, board, referring, specialist):
    for user in (referring, specialist):
        client = client_for(app, user)
        listing = text_of(client.get("/boards/"))
        assert board.name in listing
        assert "New board" not in listing
        page = client.get(f"/boards/{board.id}")
        assert page.status_code == 200
        assert "Session 1" in text_of(page)
        assert "Generate sessions now" not in text_of(page)
    assert app.test_client().get("/boards/").status_code == 302  # to the login page


def test_nav_links_boards_for_all_and_dashboard_for_coordinators(app, referring, coordinator):
    page = text_of(client_for(app, referring).get("/cases/"))
    assert 'href="/boards/"' in page and 'href="/boards/dashboard"' not in page
    page = text_of(client_for(app, coordinator).get("/cases/"))
    assert 'href="/boards/"' in page and 'href="/boards/dashboard"' in page


def test_coordinator_creates_a_board_and_its_sessions(app, coordinator, clock):
    client = client_for(app, coordinator)
    form = text_of(client.get("/boards/new"))
    assert "apply only to sessions generated from now on" in form
    response = client.post("/boards/new", data=board_form(coordinator_id=str(coordinator.id)))
    assert response.status_code == 302
    board = db.session.scalars(select(Board)).one()
    assert response.headers["Location"] == f"/boards/{board.id}"
    assert set(board.specialty_values) == {Specialty.CNS_TUMOURS, Specialty.BONE_SOFT_TISSUE}
    assert board.dtstart == datetime(2026, 1, 1, 18, 0)
    assert board.coordinator_id == coordinator.id
    assert board.case_capacity == 6  # 90 minutes at 15 per case
    assert board.quorum_disciplines == ["paediatric_oncology", "radiology"]
    assert board.cutoff_time == time(23, 59)
    assert [a.details["name"] for a in audits("board.create")] == ["Comité de tumores del SNC"]

    page = client.post("/boards/generate", data={"next": f"/boards/{board.id}"},
                       follow_redirects=True)  # fmt: skip
    assert "8 sessions created" in text_of(page)
    sessions = sessions_of(board)
    assert sessions[0].starts_at == local(2026, 3, 5, 18)
    assert sessions[0].room_url == f"https://video.telemed.local/comite-{board.id}/sesion-1"
    upcoming = plain(section(text_of(page), "upcoming-sessions"))
    assert "Session 1" in upcoming and "0 / 6" in upcoming


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("kind", "party"),
        ("specialties", ["solid_tumours", "astrology"]),
        ("coordinator_id", "9999"),
        ("timezone", "Europe/Madrid"),
        ("rrule", "every thursday"),
        ("rrule", "FREQ=MINUTELY"),
        ("start_date", "2026-02-30"),
        ("start_time", "25:00"),
        ("duration_minutes", "abc"),
        ("minutes_per_case", "0"),
        ("cutoff_days_before", "-1"),
        ("cutoff_time", "noon"),
        ("room_url_pattern", "https://video.telemed.local/comite"),
        ("room_url_pattern", "https://video.telemed.local/{room}/{session}"),
        ("quorum_disciplines", ["astrology"]),
    ],
)
def test_bad_board_input_is_shown_beside_the_field_and_nothing_is_written(
    app, coordinator, field, value
):
    client = client_for(app, coordinator)
    response = client.post("/boards/new", data=board_form(**{field: value}))
    assert response.status_code == 422
    page = text_of(response)
    assert f'id="{field}-error"' in page
    assert "Nothing was saved" in page
    assert count(Board) == 0
    assert audits("board.create") == []


def test_bad_input_keeps_what_was_typed(app, coordinator):
    response = client_for(app, coordinator).post(
        "/boards/new", data=board_form(rrule="FREQ=WEEKLY;BYDAY=XX", specialties=["cns_tumours"])
    )
    assert response.status_code == 422
    page = text_of(response)
    assert 'value="FREQ=WEEKLY;BYDAY=XX"' in page
    assert re.search(r'value="cns_tumours"\s+checked', page)
    assert not re.search(r'value="solid_tumours"\s+checked', page)


def test_a_specialty_already_routed_to_another_board_is_refused(app, coordinator, board):
    client = client_for(app, coordinator)
    response = client.post("/boards/new", data=board_form(specialties=["solid_tumours"]))
    assert response.status_code == 422
    error = section(text_of(response), "specialties-error")
    assert board.name in error
    assert count(Board) == 1

    # Editing the board that holds it keeps it.
    response = client.post(
        f"/boards/{board.id}/edit", data=board_form(name=board.name, specialties=["solid_tumours"])
    )
    assert response.status_code == 302


def test_training_boards_take_no_specialties(app, coordinator):
    response = client_for(app, coordinator).post(
        "/boards/new", data=board_form(kind="training", specialties=["palliative_care"])
    )
    assert response.status_code == 422
    assert 'id="specialties-error"' in text_of(response)
    assert count(Board) == 0


def test_editing_the_timing_changes_only_sessions_generated_later(app, coordinator, board):
    before = [(s.number, s.starts_at, s.capacity) for s in sessions_of(board)]
    client = client_for(app, coordinator)
    form = text_of(client.get(f"/boards/{board.id}/edit"))
    assert f'value="{board.name}"' in form
    assert 'value="FREQ=WEEKLY;BYDAY=TH;BYHOUR=18;BYMINUTE=0"' in form
    response = client.post(
        f"/boards/{board.id}/edit",
        data=board_form(name="Comité de tumores sólidos", specialties=["solid_tumours"],
                        minutes_per_case="30", rrule="FREQ=WEEKLY;BYDAY=TH;BYHOUR=18"),
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert board.name == "Comité de tumores sólidos"
    assert board.case_capacity == 3
    assert [(s.number, s.starts_at, s.capacity) for s in sessions_of(board)] == before
    [entry] = audits("board.update")
    assert "minutes_per_case" in entry.details["changed"]
    assert "specialties" not in entry.details["changed"]


def test_bad_edit_changes_nothing(app, coordinator, board):
    response = client_for(app, coordinator).post(
        f"/boards/{board.id}/edit", data=board_form(name=board.name, minutes_per_case="0")
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert board.minutes_per_case == 10
    assert set(board.specialty_values) == {Specialty.SOLID_TUMOURS}
    assert audits("board.update") == []


# --- membership -------------------------------------------------------------------------


def test_coordinator_adds_changes_and_removes_a_member(app, coordinator, board, make_user):
    radiologist = make_user(Role.SPECIALIST, name="Dra. Radióloga", discipline=Discipline.RADIOLOGY)
    client = client_for(app, coordinator)
    page = text_of(client.get(f"/boards/{board.id}/members"))
    assert "Dra. Radióloga" in page
    response = client.post(f"/boards/{board.id}/members",
                           data={"user_id": radiologist.id, "role": "member"})  # fmt: skip
    assert response.status_code == 302
    member = db.session.scalars(
        select(BoardMember).where(BoardMember.user_id == radiologist.id)
    ).one()
    assert member.discipline is Discipline.RADIOLOGY  # the person's own by default
    assert member.role is MemberRole.MEMBER

    response = client.post(f"/boards/{board.id}/members/{member.id}/role", data={"role": "guest"})
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.role is MemberRole.GUEST
    assert "Dra. Radióloga" in text_of(client.get(f"/boards/{board.id}"))

    response = client.post(f"/boards/{board.id}/members/{member.id}/remove")
    assert response.status_code == 302
    assert db.session.get(BoardMember, member.id) is None
    assert [len(audits(a)) for a in ("board.member_add", "board.member_role",
                                     "board.member_remove")] == [1, 1, 1]  # fmt: skip


def test_bad_member_input_changes_nothing(app, coordinator, board, chair):
    client = client_for(app, coordinator)
    members_before = count(BoardMember)
    for data in ({"user_id": "9999", "role": "member"}, {"user_id": chair.id, "role": "member"},
                 {"user_id": "abc"}, {"user_id": coordinator.id, "role": "boss"}):  # fmt: skip
        response = client.post(f"/boards/{board.id}/members", data=data)
        assert response.status_code == 422, data
        page = text_of(response)
        assert 'id="user_id-error"' in page or 'id="role-error"' in page
    assert count(BoardMember) == members_before
    member = board.members[0]
    response = client.post(f"/boards/{board.id}/members/{member.id}/role", data={"role": "boss"})
    assert response.status_code == 422
    assert f'id="role-{member.id}-error"' in text_of(response)
    db.session.refresh(member)
    assert member.role is MemberRole.CHAIR
    assert audits("board.member_add") == [] and audits("board.member_role") == []


# --- role checks --------------------------------------------------------------------------


def test_doctors_and_specialists_cannot_manage(app, board, placed, referring, chair, first):
    item = pending_item(placed.id)
    member = board.members[0]
    flag = SchedulingFlag(board_id=board.id, case_id=placed.id, reason="deadline")
    db.session.add(flag)
    db.session.commit()
    posts = [
        ("/boards/new", board_form()),
        (f"/boards/{board.id}/edit", board_form(name="Otro nombre")),
        (f"/boards/{board.id}/members", {"user_id": referring.id}),
        (f"/boards/{board.id}/members/{member.id}/role", {"role": "guest"}),
        (f"/boards/{board.id}/members/{member.id}/remove", {}),
        (f"/boards/{board.id}/sessions/new", {"start_date": "2026-03-10", "start_time": "10:00"}),
        (f"/sessions/{first.id}/move", {"start_date": "2026-03-10", "start_time": "10:00"}),
        (f"/sessions/{first.id}/cancel", {}),
        ("/boards/generate", {}),
        ("/boards/assign", {}),
        (f"/agenda/{item.id}/move", {"direction": "down"}),
        (f"/agenda/{item.id}/remove", {}),
        (f"/agenda/{item.id}/transfer", {"session_id": sessions_of(board)[1].id}),
        (f"/sessions/{first.id}/place", {"case_id": placed.id}),
        (f"/boards/flags/{flag.id}/extraordinary", {}),
        (f"/boards/cases/{placed.id}/release", {}),
    ]
    sessions_before = count(BoardSession)
    for user in (referring, chair):
        client = client_for(app, user)
        for url, data in posts:
            assert client.post(url, data=data).status_code == 403, (user.role, url)
        for url in ("/boards/new", "/boards/dashboard", f"/boards/{board.id}/members",
                    f"/sessions/{first.id}/move", f"/sessions/{first.id}/cancel"):  # fmt: skip
            assert client.get(url).status_code == 403, (user.role, url)
    db.session.expire_all()
    assert count(Board) == 1 and board.name != "Otro nombre"
    assert count(BoardSession) == sessions_before
    assert first.status is SessionStatus.PLANNED
    assert pending_item(placed.id).id == item.id
    assert member.role is MemberRole.CHAIR


# --- sessions on the board page -------------------------------------------------------------


def test_board_page_lists_upcoming_and_past_sessions_in_the_viewers_zone(
    app, board, placed, referring, coordinator, clock
):
    page = text_of(client_for(app, referring).get(f"/boards/{board.id}"))
    upcoming = section(page, "upcoming-sessions")
    first_row = plain(section(upcoming, f"session-{sessions_of(board)[0].id}"))
    assert "16:00" in first_row  # Thursday 18:00 Mexico City is 16:00 in Tijuana in March
    assert "1 / 9" in first_row
    # The doctor's own session links to its page and its room; the others do not.
    assert f'href="/sessions/{sessions_of(board)[0].id}"' in upcoming
    assert f'href="/sessions/{sessions_of(board)[1].id}"' not in upcoming
    assert "sesion-1" in upcoming and "sesion-2" not in upcoming

    clock.set(utc(2026, 3, 13, 12))  # after sessions 1 and 2
    page = text_of(client_for(app, coordinator).get(f"/boards/{board.id}"))
    past = plain(section(page, "past-sessions"))
    assert "Session 2" in past and "Session 1" in past
    assert "Session 2" not in plain(section(page, "upcoming-sessions"))
    first_past = plain(
        section(section(page, "past-sessions"), f"session-{sessions_of(board)[0].id}")
    )
    assert "18:00" in first_past  # the coordinator has no centre: Mexico City time


def test_coordinator_creates_an_extraordinary_session(app, coordinator, board):
    client = client_for(app, coordinator)
    response = client.post(f"/boards/{board.id}/sessions/new",
                           data={"start_date": "2026-03-04", "start_time": "09:30",
                                 "topic": "Caso urgente"})  # fmt: skip
    assert response.status_code == 302
    session = db.session.scalars(
        select(BoardSession).where(BoardSession.extraordinary.is_(True))
    ).one()
    assert response.headers["Location"] == f"/sessions/{session.id}"
    assert session.starts_at == local(2026, 3, 4, 9, 30)
    assert session.topic == "Caso urgente"
    assert session.number == 9  # after the eight generated ones
    page = text_of(client.get(f"/sessions/{session.id}"))
    assert "extraordinary" in page and "Caso urgente" in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"start_time": "09:30"}, "start_date"),
        ({"start_date": "2026-03-04", "start_time": "9h"}, "start_time"),
        ({"start_date": "2026-03-01", "start_time": "09:30"}, "start_date"),  # in the past
        ({"start_date": "2026-03-04", "start_time": "09:30", "topic": "x" * 301}, "topic"),
    ],
)
def test_bad_extraordinary_session_input_writes_nothing(app, coordinator, board, data, field):
    before = count(BoardSession)
    response = client_for(app, coordinator).post(f"/boards/{board.id}/sessions/new", data=data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in text_of(response)
    assert count(BoardSession) == before
    assert audits("session.create") == []


def test_training_sessions_carry_topic_speaker_and_audience(app, coordinator, make_board):
    training = make_board(specialties=(), kind=SessionKind.TRAINING, name="Capacitación")
    client = client_for(app, coordinator)
    form = text_of(client.get(f"/boards/{training.id}/sessions/new"))
    assert 'name="speaker"' in form and 'name="audience"' in form
    response = client.post(f"/boards/{training.id}/sessions/new", data={
        "start_date": "2026-03-06", "start_time": "13:00", "topic": "Hora Dorada",
        "speaker": "Dra. Pérez", "audience": "Personal de enfermería y pediatras"})  # fmt: skip
    assert response.status_code == 302
    session = db.session.scalars(select(BoardSession)).one()
    assert (session.kind, session.topic, session.speaker, session.audience) == (
        SessionKind.TRAINING,
        "Hora Dorada",
        "Dra. Pérez",
        "Personal de enfermería y pediatras",
    )
    page = text_of(client.get(f"/sessions/{session.id}"))
    assert "Dra. Pérez" in page and "Cases on the agenda" not in page
    assert "Hora Dorada" in plain(section(page, "order-of-business"))


def test_moving_a_session_puts_its_cases_back_first_in_line(app, coordinator, placed, first):
    client = client_for(app, coordinator)
    form = text_of(client.get(f"/sessions/{first.id}/move"))
    assert 'value="2026-03-05"' in form and 'value="18:00"' in form  # board time
    response = client.post(f"/sessions/{first.id}/move",
                           data={"start_date": "2026-03-06", "start_time": "10:00"})  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert first.starts_at == local(2026, 3, 6, 10)
    assert pending_item(placed.id) is None
    assert placed.status is CaseStatus.ACCEPTED and placed.carry_over == 1


def test_bad_move_changes_nothing(app, coordinator, placed, first):
    client = client_for(app, coordinator)
    for data, field in (({"start_date": "2026-03-01", "start_time": "10:00"}, "start_date"),
                        ({"start_date": "mañana", "start_time": "10:00"}, "start_date"),
                        ({"start_date": "2026-03-06"}, "start_time")):  # fmt: skip
        response = client.post(f"/sessions/{first.id}/move", data=data)
        assert response.status_code == 422
        assert f'id="{field}-error"' in text_of(response)
    db.session.expire_all()
    assert first.starts_at == local(2026, 3, 5, 18)
    assert pending_item(placed.id).session_id == first.id
    assert audits("session.move") == []


def test_cancelling_asks_first_then_frees_the_agenda(app, coordinator, placed, first):
    client = client_for(app, coordinator)
    confirm = text_of(client.get(f"/sessions/{first.id}/cancel"))
    assert "Yes, cancel the session" in confirm and "1 case is on its agenda" in confirm
    db.session.expire_all()
    assert first.status is SessionStatus.PLANNED  # looking changes nothing
    response = client.post(f"/sessions/{first.id}/cancel", follow_redirects=True)
    assert "Session 1 cancelled" in text_of(response)
    db.session.expire_all()
    assert first.status is SessionStatus.CANCELLED
    assert pending_item(placed.id) is None
    # Cancelling twice is refused with a message, nothing else changes.
    response = client.post(f"/sessions/{first.id}/cancel", follow_redirects=True)
    assert "cannot be cancelled" in text_of(response)
    assert len(audits("session.cancel")) == 1


def test_run_assignment_now_reports_what_happened(app, coordinator, board, accepted):
    accepted()
    accepted(clinical_deadline="2026-03-04")  # Thursday is too late for this one
    response = client_for(app, coordinator).post("/boards/assign", follow_redirects=True)
    page = text_of(response)
    assert "2 placed, 1 flagged, 0 without a place" in page
    assert count(AgendaItem) == 2


# --- the session page ------------------------------------------------------------------------


def test_who_may_see_a_session(
    app, board, placed, first, coordinator, chair, referring, other_referring, specialist
):
    for user in (coordinator, chair, referring):
        assert client_for(app, user).get(f"/sessions/{first.id}").status_code == 200, user.role
    for user in (other_referring, specialist):
        assert client_for(app, user).get(f"/sessions/{first.id}").status_code == 404, user.role
    second = sessions_of(board)[1]
    assert client_for(app, referring).get(f"/sessions/{second.id}").status_code == 404
    assert client_for(app, coordinator).get("/sessions/99999").status_code == 404


def test_session_page_shows_the_agenda_with_codes_and_links(
    app, board, first, accepted, make_case, other_referring, accept, referring
):
    own = accepted(urgency="urgent")
    other = accept(make_case(by=other_referring, specialty="solid_tumours", urgency="routine"))
    assign_cases()
    page = text_of(client_for(app, referring).get(f"/sessions/{first.id}"))
    agenda = section(page, "agenda")
    assert f"CE 1.{own.id}" in agenda and f"CE 1.{other.id}" in agenda
    assert own.code in agenda and other.code in agenda
    assert f'href="/cases/{own.id}"' in agenda  # the doctor's own case links to it
    assert f'href="/cases/{other.id}"' not in agenda  # another centre's case: code only
    assert "urgent" in plain(section(agenda, f"item-{pending_item(own.id).id}"))
    assert "16:00" in plain(section(page, "session-when"))  # Tijuana doctor, March
    assert "18:00" in plain(section(page, "session-when"))  # and the board's own time
    assert f'href="{first.room_url}"' in page
    order = plain(section(page, "order-of-business"))
    assert "preview" in page and "Review of specific cases" in order
    assert f"CE 1.{own.id}" in order
    # No management buttons for a doctor.
    assert "Mark discussed" not in page and "Place a case by hand" not in page


def test_order_of_business_once_the_agenda_closes(app, placed, first, coordinator, clock):
    clock.set(local(2026, 3, 4, 0, 30))  # Wednesday: Tuesday 23:59 has passed
    close_due_agendas()
    page = text_of(client_for(app, coordinator).get(f"/sessions/{first.id}"))
    assert "agenda closed" in page
    assert "preview" not in section(page, "order-title")
    assert f"CE 1.{placed.id}" in plain(section(page, "order-of-business"))
    assert "Place a case by hand" not in page  # frozen


def test_coordinator_reorders_removes_and_moves_entries(app, board, first, accepted, coordinator):
    one, two, three = accepted(), accepted(), accepted()
    assign_cases()
    assert agenda_ids(first) == [one.id, two.id, three.id]
    client = client_for(app, coordinator)
    page = text_of(client.get(f"/sessions/{first.id}"))
    assert f"Move CE 1.{one.id} down" in page

    client.post(f"/agenda/{pending_item(one.id).id}/move", data={"direction": "down"})
    assert agenda_ids(first) == [two.id, one.id, three.id]
    client.post(f"/agenda/{pending_item(three.id).id}/move", data={"direction": "up"})
    assert agenda_ids(first) == [two.id, three.id, one.id]
    assert pending_item(three.id).pinned

    second = sessions_of(board)[1]
    response = client.post(f"/agenda/{pending_item(two.id).id}/transfer",
                           data={"session_id": second.id}, follow_redirects=True)  # fmt: skip
    assert "Agenda updated" in text_of(response)
    assert session_of(two).id == second.id and pending_item(two.id).pinned

    client.post(f"/agenda/{pending_item(three.id).id}/remove")
    db.session.expire_all()
    assert pending_item(three.id) is None
    assert three.scheduling_hold and three.status is CaseStatus.ACCEPTED
    assert agenda_ids(first) == [one.id]


def test_bad_agenda_requests_are_refused_and_change_nothing(
    app, board, first, placed, coordinator, make_board, accepted
):
    client = client_for(app, coordinator)
    item = pending_item(placed.id)
    other_board = make_board(specialties=(Specialty.TRANSPLANT,))
    generate_sessions()
    foreign = sessions_of(other_board)[0]
    for url, data in (
        (f"/agenda/{item.id}/transfer", {"session_id": foreign.id}),
        (f"/agenda/{item.id}/transfer", {"session_id": "abc"}),
        (f"/agenda/{item.id}/transfer", {"session_id": first.id}),  # already there
        (f"/sessions/{first.id}/place", {"case_id": "9999"}),
        (f"/sessions/{first.id}/place", {"case_id": placed.id}),  # already on it
    ):
        response = client.post(url, data=data, follow_redirects=True)
        assert response.status_code == 200
        assert "alert-danger" in text_of(response), url
    assert client.post(f"/agenda/{item.id}/move", data={"direction": "sideways"}).status_code == 400
    assert client.post("/agenda/99999/remove").status_code == 404
    db.session.expire_all()
    assert pending_item(placed.id).id == item.id and not item.pinned
    assert first.booked == 1
    assert audits("agenda.place") == []


def test_coordinator_places_an_accepted_case_by_hand(app, board, first, coordinator, accepted):
    waiting = accepted()  # not assigned yet
    held = accepted()
    assign_cases()
    remove_by_hand(coordinator, pending_item(held.id))
    db.session.expire_all()
    assert session_of(waiting).id == first.id
    remove_by_hand(coordinator, pending_item(waiting.id))
    waiting.scheduling_hold = False
    db.session.commit()

    second = sessions_of(board)[1]
    client = client_for(app, coordinator)
    picker = section(text_of(client.get(f"/sessions/{second.id}")), "case_id")
    assert waiting.code in picker and held.code in picker and "on hold" in picker
    response = client.post(f"/sessions/{second.id}/place", data={"case_id": held.id},
                           follow_redirects=True)  # fmt: skip
    assert f"Case {held.code} placed" in text_of(response)
    item = pending_item(held.id)
    assert item.session_id == second.id and item.pinned
    db.session.refresh(held)
    assert held.status is CaseStatus.SCHEDULED and not held.scheduling_hold


def test_record_outcome_link_once_the_session_starts(app, placed, first, coordinator, clock):
    """The session page sends coordinators and members to the review panel of the room to
    record an outcome (the panel itself is tested in tests/room)."""
    client = client_for(app, coordinator)
    item = pending_item(placed.id)
    page = text_of(client.get(f"/sessions/{first.id}"))
    assert f'href="/sessions/{first.id}/room"' in page  # the room, always
    assert "Record outcome" not in page and "Mark discussed" not in page
    response = client.post(
        f"/sessions/{first.id}/items/{item.id}/outcome",
        data={
            "outcome": "deferred",
            "reason": "Falta el informe de patología.",
            "deferral_reason": "missing_material",
        },
        follow_redirects=True,
    )
    assert "once the session starts" in text_of(response)
    db.session.expire_all()
    assert item.outcome is ItemOutcome.PENDING

    clock.set(first.starts_at + timedelta(minutes=20))
    page = text_of(client.get(f"/sessions/{first.id}"))
    assert "Record outcome" in page
    assert f'href="/sessions/{first.id}/items/{item.id}#outcome"' in page
    client.post(
        f"/sessions/{first.id}/items/{item.id}/outcome",
        data={"outcome": "discussed", "category": "treatment_plan", "text": "Continuar protocolo.",
              "consensus": "true", "responsible": "Oncología pediátrica"},
    )  # fmt: skip
    db.session.expire_all()
    assert item.outcome is ItemOutcome.DISCUSSED
    assert placed.status is CaseStatus.RECOMMENDATION_ISSUED
    page = text_of(client.get(f"/sessions/{first.id}"))
    assert "discussed" in plain(section(page, f"item-{item.id}"))
    assert "Record outcome" not in page
    assert f"CE 1.{placed.id}" in page  # still listed as the session's business


# --- the coordinator dashboard ------------------------------------------------------------------


def test_dashboard_flags_a_case_and_one_click_makes_an_extraordinary_session(
    app, board, accepted, coordinator
):
    late = accepted(clinical_deadline="2026-03-04")
    accepted()
    assign_cases()
    client = client_for(app, coordinator)
    page = text_of(client.get("/boards/dashboard"))
    flag = db.session.scalars(select(SchedulingFlag)).one()
    row = plain(section(page, f"flag-{flag.id}"))
    assert late.code in row and board.name in row
    assert "after the clinical deadline" in row
    waiting = plain(section(page, "waiting"))
    assert board.name in waiting

    response = client.post(f"/boards/flags/{flag.id}/extraordinary")
    assert response.status_code == 302
    item = pending_item(late.id)
    assert item.session.extraordinary
    assert response.headers["Location"] == f"/sessions/{item.session_id}"
    assert item.session.starts_at == local(2026, 3, 3, 18)  # tomorrow at the usual hour
    db.session.refresh(flag)
    assert flag.resolved_at is not None
    assert f"flag-{flag.id}" not in text_of(client.get("/boards/dashboard"))
    # A settled flag cannot be used again.
    assert client.post(f"/boards/flags/{flag.id}/extraordinary").status_code == 404


def test_dashboard_counts_waiting_cases_and_releases_held_ones(
    app, board, accepted, coordinator, make_board
):
    make_board(specialties=(Specialty.TRANSPLANT,), name="Comité de trasplante")
    held = accepted()
    assign_cases()
    remove_by_hand(coordinator, pending_item(held.id))
    for _ in range(3):
        accepted()  # accepted, not yet assigned
    client = client_for(app, coordinator)
    page = text_of(client.get("/boards/dashboard"))
    rows = [plain(r).strip() for r in re.findall(r"<tr>(.*?)</tr>", section(page, "waiting"), re.S)]
    assert f"{board.name} 3" in rows  # the held one is not counted
    assert "Comité de trasplante 0" in rows
    assert held.code in section(page, "held")

    response = client.post(f"/boards/cases/{held.id}/release", follow_redirects=True)
    assert f"Case {held.code} goes back to automatic assignment" in text_of(response)
    db.session.refresh(held)
    assert not held.scheduling_hold
    assert "No case is on hold" in text_of(client.get("/boards/dashboard"))
    assert client.post("/boards/cases/99999/release").status_code == 404


# --- the case page and the viewer's time zone ------------------------------------------------


def test_tijuana_doctor_sees_the_session_in_tijuana_time_in_january(
    app, make_board, accepted, referring, clock
):
    clock.set(datetime(2027, 1, 4, 17, 0, tzinfo=UTC))  # Monday 4 January 2027
    board = make_board()
    generate_sessions()
    case = accepted()
    assign_cases()
    session = session_of(case)
    assert session.starts_at == local(2027, 1, 7, 18)  # Thursday 18:00 Mexico City

    client = client_for(app, referring)
    page = text_of(client.get(f"/cases/{case.id}"))
    scheduled = plain(section(page, "scheduled"))
    assert (
        "Thursday 7 January, 18:00–19:30 (Mexico City time); 16:00–17:30 your time (Tijuana)"
        in scheduled
    )
    assert board.name in scheduled and "session 1" in scheduled
    assert f"CE 1.{case.id}" in scheduled
    assert f'href="/sessions/{session.id}"' in section(page, "scheduling")
    assert f'href="{session.room_url}"' in section(page, "scheduling")

    # The profile overrides the centre's zone; empty goes back to it.
    response = client.post("/auth/profile/timezone", data={"timezone": "America/Cancun"})
    assert response.status_code == 302
    assert "19:00–20:30 your time (Cancún)" in plain(
        section(text_of(client.get(f"/cases/{case.id}")), "scheduled")
    )
    client.post("/auth/profile/timezone", data={"timezone": ""})
    db.session.refresh(referring)
    assert referring.timezone is None
    assert "16:00" in plain(section(text_of(client.get(f"/cases/{case.id}")), "scheduled"))
    assert len(audits("user.timezone")) == 2


def test_case_page_lists_earlier_agenda_entries(app, board, placed, first, referring, clock):
    clock.set(first.ends_at + timedelta(minutes=5))
    finish_ended_sessions()
    assign_cases()  # carried over to the next session, first in line
    page = text_of(client_for(app, referring).get(f"/cases/{placed.id}"))
    assert f"CE 2.{placed.id}" in plain(section(page, "scheduled"))
    history = plain(section(page, "agenda-history"))
    assert f"CE 1.{placed.id}" in history and "not discussed" in history
    carried = plain(section(text_of(client_for(app, referring).get(
        f"/sessions/{session_of(placed).id}")), "agenda"))  # fmt: skip
    assert "carried over" in carried


def test_a_case_without_a_session_shows_no_schedule(app, board, accepted, referring):
    case = accepted()
    page = text_of(client_for(app, referring).get(f"/cases/{case.id}"))
    assert 'id="scheduling"' not in page


def test_profile_time_zone_refuses_unknown_zones(app, referring):
    client = client_for(app, referring)
    page = text_of(client.get("/auth/profile"))
    assert "My centre’s time zone (Tijuana)" in page
    response = client.post("/auth/profile/timezone", data={"timezone": "Mars/Olympus"})
    assert response.status_code == 422
    assert 'id="timezone-error"' in text_of(response)
    db.session.refresh(referring)
    assert referring.timezone is None
    assert audits("user.timezone") == []
