"""The session room: the order of business, the video button, attendance with a live quorum,
start and end times, general matters, and who may enter.

Session 1 of the solid-tumour board is Thursday 5 March 2026, 18:00 Mexico City; the chair
(paediatric oncology) and a radiologist are members; a Tijuana case (``referring``) and a
Cancún case (``other_referring``) are on its agenda (``in_session`` puts the clock at the
start, with the agenda closed).
"""

from __future__ import annotations

from datetime import timedelta

from telemed.auth.models import Role
from telemed.boards.models import SessionKind
from telemed.cases.models import CaseStatus
from telemed.extensions import db
from telemed.invites.service import sync_due_invites
from telemed.room.models import Attendance, AttendanceRole
from telemed.sessions.models import ItemOutcome, SessionStatus
from telemed.sessions.service import finish_ended_sessions, generate_sessions
from tests.conftest import client_for
from tests.scenes.boards import agenda_ids, emails, local, sessions_of
from tests.scenes.room import (
    audits,
    count,
    discussed,
    panel_url,
    plain,
    room_url,
    section,
    text_of,
)
from tests.scenes.session import item_for


def attendance_of(session, user) -> Attendance | None:  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return db.session.scalar(
        db.select(Attendance).where(
            Attendance.session_id == session.id, Attendance.user_id == user.id
        )
    )


def quorum_text(client, session) -> str:  # type: ignore[no-untyped-def]
    fragment = text_of(client.get(f"/sessions/{session.id}/room/attendance"))
    return plain(section(fragment, "room-quorum"))


# --- the order of business ------------------------------------------------------------


def test_the_room_follows_the_order_of_business(app, in_session, own_case, foreign_case, chair):
    page = text_of(client_for(app, chair).get(room_url(in_session)))
    titles = [
        plain(section(page, f"room-{key}-title"))
        for key in ("welcome", "follow-up", "cases", "general", "agreements", "close")
    ]
    assert titles == [
        "Welcome", "Follow-up of previous agreements", "Review of specific cases",
        "General matters", "Reading of the agreements", "Closing",
    ]  # fmt: skip
    agenda = section(page, "room-agenda")
    own, foreign = item_for(in_session, own_case), item_for(in_session, foreign_case)
    assert plain(agenda).index(f"CE 1.{own_case.id}") < plain(agenda).index(
        f"CE 1.{foreign_case.id}"
    )
    # A member reviews both cases; each row shows its outcome so far.
    assert f'href="{panel_url(own)}"' in agenda and f'href="{panel_url(foreign)}"' in agenda
    assert "on the agenda" in plain(section(page, f"agenda-{own.id}"))
    assert "Record outcome" in plain(section(page, f"agenda-{own.id}"))
    # The attendance card is re-fetched by a local script (no CDN, no inline code).
    assert 'data-refresh-url="/sessions/' in page
    assert '<script src="/static/room.js" defer></script>' in page
    assert "<script>" not in page
    assert audits("session.room")[-1].object_id == in_session.id


def test_the_session_page_and_the_case_page_lead_to_the_room(app, in_session, own_case, referring):
    client = client_for(app, referring)
    assert f'href="{room_url(in_session)}"' in text_of(client.get(f"/sessions/{in_session.id}"))
    case_page = text_of(client.get(f"/cases/{own_case.id}"))
    assert f'href="{room_url(in_session)}"' in section(case_page, "scheduling")


def test_a_training_session_shows_its_topic_and_speaker(app, make_board, coordinator, clock):
    board = make_board(kind=SessionKind.TRAINING, specialties=())
    generate_sessions()
    session = sessions_of(board)[0]
    session.topic, session.speaker = "Hora Dorada: neutropenia febril", "Dra. Ana Ruiz"
    db.session.commit()
    clock.set(session.starts_at)
    page = text_of(client_for(app, coordinator).get(room_url(session)))
    topic = plain(section(page, "room-topic"))
    assert "Hora Dorada: neutropenia febril" in topic and "Dra. Ana Ruiz" in topic
    assert 'id="room-cases"' not in page and 'id="room-follow-up"' not in page
    assert "General matters" in page and "Reading of the agreements" in page


def test_the_audience_of_a_training_session_is_expected(
    app, make_board, coordinator, referring, centre, clock
):
    board = make_board(kind=SessionKind.TRAINING, specialties=())
    generate_sessions()
    session = sessions_of(board)[0]
    session.audience_scope = f"centre:{centre.id}"
    session.roster_version += 1
    db.session.commit()
    sync_due_invites()
    clock.set(session.starts_at)
    client = client_for(app, coordinator)
    fragment = text_of(client.get(f"/sessions/{session.id}/room/attendance"))
    assert f'data-user="{referring.id}"' in fragment
    client.post(f"/sessions/{session.id}/room/attendance",
                data={"user_id": referring.id, "present": "true"})  # fmt: skip
    row = attendance_of(session, referring)
    assert row.present and row.role is AttendanceRole.REFERRING
    assert row.unit == "HGR No. 1 Tijuana"
    # The invited doctor enters the training's room too.
    assert client_for(app, referring).get(room_url(session)).status_code == 200


# --- the video button -----------------------------------------------------------------


def test_join_video_opens_15_minutes_before_the_start(app, agenda, chair, clock):
    client = client_for(app, chair)
    clock.set(agenda.starts_at - timedelta(minutes=16))
    video = section(text_of(client.get(room_url(agenda))), "video")
    assert 'aria-disabled="true"' in video and "href=" not in video.replace("data-href", "")
    assert "Opens at" in plain(video) and "17:45" in plain(video)  # Mexico City, the chair's

    clock.set(agenda.starts_at - timedelta(minutes=15))
    video = section(text_of(client.get(room_url(agenda))), "video")
    assert f'href="{agenda.room_url}"' in video and "aria-disabled" not in video

    clock.set(agenda.ends_at)  # never started in the room: the video closes at the planned end
    video = section(text_of(client.get(room_url(agenda))), "video")
    assert 'aria-disabled="true"' in video and "The session is over." in plain(video)


def test_join_video_stays_open_while_a_started_session_runs_late(app, in_session, chair, clock):
    client = client_for(app, chair)
    client.post(f"/sessions/{in_session.id}/room/start")
    clock.set(in_session.ends_at + timedelta(minutes=40))
    assert 'href="https://video' in section(text_of(client.get(room_url(in_session))), "video")
    client.post(f"/sessions/{in_session.id}/room/end")
    video = section(text_of(client.get(room_url(in_session))), "video")
    assert "The session is over." in plain(video)


# --- attendance and the live quorum ---------------------------------------------------


def test_marking_attendance_moves_the_quorum(
    app, in_session, board, chair, radiologist, coordinator, referring, other_referring
):
    board.quorum_disciplines = ["paediatric_oncology", "radiology"]
    db.session.commit()
    client = client_for(app, coordinator)
    fragment = text_of(client.get(f"/sessions/{in_session.id}/room/attendance"))
    for user in (chair, radiologist, coordinator, referring, other_referring):
        assert f'data-user="{user.id}" data-state="unmarked"' in fragment, user.email
    assert quorum_text(client, in_session) == (
        "No quorum yet Missing: Paediatric oncology, Radiology"
    )

    def mark(user, present: str = "true"):  # type: ignore[no-untyped-def]
        return client.post(f"/sessions/{in_session.id}/room/attendance",
                           data={"user_id": user.id, "present": present})  # fmt: skip

    assert mark(chair).status_code == 302
    assert quorum_text(client, in_session) == "No quorum yet Missing: Radiology"
    mark(referring)  # a referring doctor covers no discipline of the quorum
    assert quorum_text(client, in_session) == "No quorum yet Missing: Radiology"
    mark(radiologist)
    assert quorum_text(client, in_session) == "Quorum met"
    mark(radiologist, "false")
    assert quorum_text(client, in_session) == "No quorum yet Missing: Radiology"

    # Each line keeps who it was that day: name, unit, role, discipline.
    row = attendance_of(in_session, chair)
    assert (row.present, row.role, row.discipline) == (True, AttendanceRole.CHAIR,
                                                       "paediatric_oncology")  # fmt: skip
    assert row.unit and row.marked_by_id == coordinator.id  # the discipline, for a member
    doctor = attendance_of(in_session, referring)
    assert (doctor.role, doctor.unit, doctor.name) == (
        AttendanceRole.REFERRING,
        "HGR No. 1 Tijuana",
        referring.name,
    )
    assert attendance_of(in_session, radiologist).present is False
    fragment = text_of(client.get(f"/sessions/{in_session.id}/room/attendance"))
    assert f'data-user="{chair.id}" data-state="present"' in fragment
    assert f'data-user="{radiologist.id}" data-state="absent"' in fragment
    assert "2 present" in fragment
    assert [(a.details["user_id"], a.details["present"]) for a in audits("attendance.mark")] == [
        (chair.id, True), (referring.id, True), (radiologist.id, True), (radiologist.id, False)
    ]  # fmt: skip


def test_guests_by_name_and_unit(app, in_session, chair):
    client = client_for(app, chair)
    response = client.post(f"/sessions/{in_session.id}/room/guests",
                           data={"name": "Lic. Marta Soto", "unit": "Trabajo social, HITO"},
                           follow_redirects=True)  # fmt: skip
    assert "Guest added." in text_of(response)
    guests = plain(section(text_of(response), "room-guests"))
    assert "Lic. Marta Soto" in guests and "Trabajo social, HITO" in guests
    [row] = db.session.scalars(db.select(Attendance).where(Attendance.user_id.is_(None))).all()
    assert (row.role, row.present) == (AttendanceRole.GUEST, True)

    # A guest needs a name and a unit; nothing is written otherwise.
    response = client.post(
        f"/sessions/{in_session.id}/room/guests",
        data={"name": "Dr. Sin Unidad", "unit": ""},
        follow_redirects=True,
    )
    assert "This field is required." in text_of(response)
    assert count(Attendance) == 1

    client.post(f"/sessions/{in_session.id}/room/attendance/{row.id}/remove")
    assert count(Attendance) == 0
    assert [a.action for a in audits("attendance.guest") + audits("attendance.remove")] == [
        "attendance.guest", "attendance.remove"
    ]  # fmt: skip


def test_only_expected_people_are_marked_others_come_as_guests(app, in_session, chair, specialist):
    response = client_for(app, chair).post(
        f"/sessions/{in_session.id}/room/attendance",
        data={"user_id": specialist.id, "present": "true"},
        follow_redirects=True,
    )
    assert "not expected at this session" in text_of(response)
    assert count(Attendance) == 0


def test_attendance_opens_an_hour_before_the_start(app, agenda, chair, clock):
    clock.set(agenda.starts_at - timedelta(hours=2))
    client = client_for(app, chair)
    response = client.post(f"/sessions/{agenda.id}/room/attendance",
                           data={"user_id": chair.id}, follow_redirects=True)  # fmt: skip
    assert "The room opens one hour before the session starts." in text_of(response)
    assert count(Attendance) == 0
    clock.set(agenda.starts_at - timedelta(minutes=50))
    client.post(f"/sessions/{agenda.id}/room/attendance", data={"user_id": chair.id})
    assert attendance_of(agenda, chair).present


def test_followers_see_the_card_but_cannot_change_it(app, in_session, chair, referring):
    client_for(app, chair).post(f"/sessions/{in_session.id}/room/attendance",
                                data={"user_id": chair.id})  # fmt: skip
    client = client_for(app, referring)
    fragment = text_of(client.get(f"/sessions/{in_session.id}/room/attendance"))
    assert f'data-user="{chair.id}" data-state="present"' in fragment
    assert "<form" not in fragment  # no buttons for a referring doctor
    before = count(Attendance)
    for url, data in (
        (f"/sessions/{in_session.id}/room/attendance", {"user_id": referring.id}),
        (f"/sessions/{in_session.id}/room/guests", {"name": "Alguien", "unit": "Otra"}),
        (f"/sessions/{in_session.id}/room/start", {}),
        (f"/sessions/{in_session.id}/room/general-matters", {"general_matters": "Nada"}),
    ):
        assert client.post(url, data=data).status_code == 403, url
    db.session.expire_all()
    assert count(Attendance) == before
    assert in_session.started_at is None and in_session.general_matters is None


# --- start, end, general matters ------------------------------------------------------


def test_start_end_and_corrected_times(app, in_session, chair, clock):
    client = client_for(app, chair)
    clock.set(in_session.starts_at + timedelta(minutes=4))
    response = client.post(f"/sessions/{in_session.id}/room/start", follow_redirects=True)
    assert "The session started." in text_of(response)
    db.session.expire_all()
    assert in_session.started_at == in_session.starts_at + timedelta(minutes=4)
    again = client.post(f"/sessions/{in_session.id}/room/start", follow_redirects=True)
    assert "already started" in text_of(again)

    clock.set(in_session.starts_at + timedelta(minutes=85))
    client.post(f"/sessions/{in_session.id}/room/end")
    db.session.expire_all()
    assert in_session.ended_at == in_session.starts_at + timedelta(minutes=85)

    # The minutes say 18:00-19:25 board time: the times are corrected on the board's clock.
    response = client.post(f"/sessions/{in_session.id}/room/times",
                           data={"started_at_local": "2026-03-05T18:00",
                                 "ended_at_local": "2026-03-05T19:25"},
                           follow_redirects=True)  # fmt: skip
    assert "Start and end times saved." in text_of(response)
    db.session.expire_all()
    assert in_session.started_at == local(2026, 3, 5, 18, 0)
    assert in_session.ended_at == local(2026, 3, 5, 19, 25)
    assert 'value="2026-03-05T19:25"' in text_of(response)

    # The end is not before the start, nor in the future; nothing changes otherwise.
    for data, message in (
        ({"started_at_local": "2026-03-05T18:30", "ended_at_local": "2026-03-05T18:10"},
         "The end cannot be before the start."),
        ({"started_at_local": "2026-03-05T18:00", "ended_at_local": "2026-03-05T23:00"},
         "The end cannot be in the future."),
        ({"started_at_local": "5 de marzo", "ended_at_local": ""},
         "Enter the board's local date and time"),
    ):  # fmt: skip
        response = client.post(f"/sessions/{in_session.id}/room/times", data=data,
                               follow_redirects=True)  # fmt: skip
        assert message in text_of(response).replace("&#39;", "'"), data
        db.session.expire_all()
        assert in_session.ended_at == local(2026, 3, 5, 19, 25)
    assert [a.action for a in audits("session.start") + audits("session.end")] == [
        "session.start", "session.end"
    ]  # fmt: skip
    assert len(audits("session.times")) == 1


def test_the_session_ends_only_after_it_started(app, in_session, chair):
    response = client_for(app, chair).post(
        f"/sessions/{in_session.id}/room/end", follow_redirects=True
    )
    assert "Start the session first." in text_of(response)
    db.session.expire_all()
    assert in_session.ended_at is None


def test_general_matters(app, in_session, chair, referring):
    client_for(app, chair).post(
        f"/sessions/{in_session.id}/room/general-matters",
        data={"general_matters": "Se presentó el calendario de capacitación de abril."},
    )
    page = text_of(client_for(app, referring).get(room_url(in_session)))
    assert "calendario de capacitación de abril" in section(page, "general-matters-text")
    assert len(audits("session.general_matters")) == 1


# --- a session running late keeps its cases -------------------------------------------


def test_a_started_session_running_late_keeps_its_cases(
    app, in_session, own_case, foreign_case, chair, clock
):
    client = client_for(app, chair)
    client.post(f"/sessions/{in_session.id}/room/start")
    clock.set(in_session.ends_at + timedelta(minutes=50))
    assert finish_ended_sessions() == 0
    db.session.expire_all()
    assert in_session.status is SessionStatus.AGENDA_CLOSED
    own = item_for(in_session, own_case)
    assert own.outcome is ItemOutcome.PENDING
    client.post(f"{panel_url(own)}/outcome", data=discussed())
    db.session.expire_all()
    assert own_case.status is CaseStatus.RECOMMENDATION_ISSUED

    clock.set(in_session.ends_at + timedelta(hours=3))  # forgotten open: finished after all
    assert finish_ended_sessions() == 1
    db.session.expire_all()
    assert in_session.status is SessionStatus.HELD
    assert item_for(in_session, foreign_case).outcome is ItemOutcome.NOT_DISCUSSED
    assert foreign_case.status is CaseStatus.ACCEPTED and foreign_case.carry_over == 1
    assert [m.to_address for m in emails("case_not_discussed")] == ["otro@hospital.test"]


def test_a_session_ended_in_the_room_finishes_at_its_planned_end(
    app, in_session, foreign_case, chair, clock
):
    client = client_for(app, chair)
    client.post(f"/sessions/{in_session.id}/room/start")
    clock.set(in_session.ends_at - timedelta(minutes=5))
    client.post(f"/sessions/{in_session.id}/room/end")
    assert finish_ended_sessions() == 0
    clock.set(in_session.ends_at)
    assert finish_ended_sessions() == 1
    db.session.expire_all()
    assert foreign_case.status is CaseStatus.ACCEPTED
    assert agenda_ids(in_session) == []


# --- who enters the room --------------------------------------------------------------


def test_who_enters_the_room(
    app, in_session, own_case, foreign_case, chair, radiologist, coordinator, admin, referring,
    other_referring, specialist, make_user, make_centre,
):  # fmt: skip
    third = make_centre(code="OC-SLP", name="HGZ No. 1 San Luis Potosí")
    stranger = make_user(Role.REFERRING, centre_id=third.id, email="slp@hospital.test")
    for user in (chair, radiologist, coordinator, admin, referring, other_referring):
        assert client_for(app, user).get(room_url(in_session)).status_code == 200, user.email
    for user in (specialist, stranger):  # not a member; a centre with no case on the agenda
        client = client_for(app, user)
        assert client.get(room_url(in_session)).status_code == 404, user.email
        assert client.get(f"/sessions/{in_session.id}/room/attendance").status_code == 404
        assert client.post(f"/sessions/{in_session.id}/room/start").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(room_url(in_session)).status_code == 302
    assert client_for(app, chair).get("/sessions/999999/room").status_code == 404


def test_an_invited_doctor_reviews_only_their_own_centres_case(
    app, in_session, own_case, foreign_case, referring
):
    client = client_for(app, referring)
    page = text_of(client.get(room_url(in_session)))
    own, foreign = item_for(in_session, own_case), item_for(in_session, foreign_case)
    assert f'<a href="{panel_url(own)}">CE 1.{own_case.id}</a>' in page
    foreign_row = section(page, f"agenda-{foreign.id}")
    assert f"CE 1.{foreign_case.id}" in foreign_row and "<a " not in foreign_row
    assert foreign_case.code not in page  # the other centre's case: its agenda code only
    assert "Record outcome" not in page
    assert client.get(panel_url(own)).status_code == 200
    assert client.get(panel_url(foreign)).status_code == 404
    assert client.post(f"{panel_url(foreign)}/outcome", data=discussed()).status_code == 404


def test_a_large_audience_is_marked_by_email(
    app, make_board, make_user, coordinator, referring, centre, clock, monkeypatch
):
    from telemed.room import service as room

    colleague = make_user(Role.REFERRING, centre_id=centre.id, email="colega@hospital.test")
    board = make_board(kind=SessionKind.TRAINING, specialties=())
    generate_sessions()
    session = sessions_of(board)[0]
    session.audience_scope = f"centre:{centre.id}"
    session.roster_version += 1
    db.session.commit()
    sync_due_invites()
    clock.set(session.starts_at)
    monkeypatch.setattr(room, "LIST_LIMIT", 2)  # as if the whole country were invited
    client = client_for(app, coordinator)
    fragment = text_of(client.get(f"/sessions/{session.id}/room/attendance"))
    assert "2 more people of the audience are not listed." in plain(fragment)
    assert f'data-user="{referring.id}"' not in fragment
    assert f'data-user="{coordinator.id}"' in fragment  # the board's people are always listed

    response = client.post(
        f"/sessions/{session.id}/room/attendance",
        data={"email": "nadie@hospital.test"},
        follow_redirects=True,
    )
    assert "No one expected at this session has this address." in text_of(response)
    client.post(f"/sessions/{session.id}/room/attendance", data={"email": " Colega@Hospital.test"})
    assert attendance_of(session, colleague).present
    fragment = text_of(client.get(f"/sessions/{session.id}/room/attendance"))
    assert f'data-user="{colleague.id}" data-state="present"' in fragment
    assert "1 more person of the audience is not listed." in plain(fragment)


def test_members_are_shown_with_their_discipline(app, in_session, chair, radiologist):
    client = client_for(app, chair)
    client.post(f"/sessions/{in_session.id}/room/attendance", data={"user_id": chair.id})
    fragment = text_of(client.get(f"/sessions/{in_session.id}/room/attendance"))
    line = plain(section(fragment, "room-people").split(f'data-user="{radiologist.id}"')[0])
    assert "Chair · Paediatric oncology" in line
    assert "Oncología" not in line  # the unit stored for the minutes is not repeated


def test_a_cancelled_sessions_room_offers_no_changes(app, agenda, coordinator, clock):
    from telemed.sessions.service import cancel_session

    cancel_session(coordinator, agenda)
    clock.set(agenda.starts_at)
    client = client_for(app, coordinator)
    page = text_of(client.get(room_url(agenda)))
    assert "<form" not in text_of(client.get(f"/sessions/{agenda.id}/room/attendance"))
    assert 'id="general_matters"' not in page
    assert "The session is over." in plain(section(page, "video"))
    response = client.post(f"/sessions/{agenda.id}/room/start", follow_redirects=True)
    assert "This session was cancelled." in text_of(response)
