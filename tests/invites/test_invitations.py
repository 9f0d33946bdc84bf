"""Who is invited and what they receive: invitations when a case is placed, a cancellation
for the referring doctor whose case leaves, updates with the next SEQUENCE when a session
moves, a cancellation for everyone when it is cancelled, and never the same message twice.

The solid-tumour board meets on Thursdays at 18:00 Mexico City time; the referring doctor
works in Tijuana (16:00 there in March, before the US clocks change). The clock starts on
Monday 2 March 2026.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from scheduler import jobs
from telemed.auth.models import Discipline, Role
from telemed.boards import service as board_service
from telemed.boards.models import MemberRole, SessionKind
from telemed.core.errors import Forbidden, InputError, InvalidTransition
from telemed.extensions import db
from telemed.invites import service as invites
from telemed.jobs import lease
from telemed.sessions.agenda import place_by_hand
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import AttendeeRole, PartStat, SessionAttendee
from telemed.sessions.service import cancel_session, generate_sessions, move_session
from tests.conftest import client_for, committed
from tests.invites.helpers import (
    active_attendees,
    attendee_of,
    attendee_params,
    check_invite,
    event,
    invites_to,
    messages,
)
from tests.scenes.boards import PATIENT_REFERENCE, entry_of, session_of, sessions_of

RSVP_LINK = re.compile(r"http://127\.0\.0\.1:5000/rsvp/[\w.-]+")


def no_patient_data(*texts: str | None) -> None:
    for text in texts:
        assert PATIENT_REFERENCE not in (text or "")


# --- invitations when a case is placed ------------------------------------------------------


def test_placing_a_case_invites_the_board_and_the_referring_doctor(
    invited, panel, chair, member, guest, referring, accepted
):
    session = invited
    assert {uid: (row.role, row.reason) for uid, row in active_attendees(session).items()} == {
        chair.id: (AttendeeRole.CHAIR, "member"),
        member.id: (AttendeeRole.REQUIRED, "member"),
        guest.id: (AttendeeRole.OPTIONAL, "member"),
        referring.id: (AttendeeRole.REQUIRED, "referring"),
    }
    everyone = {chair.email, member.email, guest.email, referring.email}
    for user in (chair, member, guest, referring):
        [message] = invites_to(user, session)
        assert (message.kind, message.ics_method, message.to_address) == (
            "invite", "REQUEST", user.email,
        )  # fmt: skip
        assert message.dedupe_key == f"invite:{session.id}:0:{user.id}:REQUEST"
        check_invite(message, session, "REQUEST", 0)
        params = attendee_params(message)
        assert set(params) == everyone
        assert params[chair.email]["ROLE"] == "CHAIR"
        assert params[member.email]["ROLE"] == params[referring.email]["ROLE"] == "REQ-PARTICIPANT"
        assert params[guest.email]["ROLE"] == "OPT-PARTICIPANT"
        assert {p["PARTSTAT"] for p in params.values()} == {"NEEDS-ACTION"}
        assert {p["RSVP"] for p in params.values()} == {"FALSE"}  # no service mailbox here
        assert params[referring.email]["CN"] == referring.name
        assert len(RSVP_LINK.findall(message.body_text)) == 3
        assert len(RSVP_LINK.findall(message.body_html or "")) == 3
        assert f"/sessions/{session.id}" in message.body_text
        assert session.room_url in message.body_text and session.room_url in message.body_html
        no_patient_data(message.subject, message.body_text, message.body_html, message.ics)

    [doctor] = invites_to(referring, session)
    assert doctor.subject == f"Invitation: {panel.name}, session {session.number}"
    # Thursday 18:00 in Mexico City is 16:00 in Tijuana (PST until 8 March).
    assert (
        "Thursday 5 March, 18:00–19:30 (Mexico City time); 16:00–17:30 your time (Tijuana)"
        in doctor.body_text
    )
    assert (
        "Thursday 5 March, 18:00–19:30 (Mexico City time); 16:00–17:30 your time (Tijuana)"
        in doctor.body_html
    )
    assert entry_of(session.pending_items[0].case).agenda_code in doctor.body_text
    # The chair has no language or zone of their own: Spanish, Mexico City time only.
    [to_chair] = invites_to(chair, session)
    assert "jueves 5 de marzo, 18:00–19:30 h (hora de la Ciudad de México)\n" in (
        to_chair.body_text
    )
    # The other sessions have no case of the doctor: only the board is invited there.
    later = sessions_of(panel)[1]
    assert invites_to(referring, later) == []
    assert set(active_attendees(later)) == {chair.id, member.id, guest.id}
    assert (later.invites_sequence, later.invites_roster) == (later.sequence, later.roster_version)


def test_running_the_sync_again_queues_nothing(invited, panel):
    before = len(messages())
    assert invites.sync_due_invites() == 0
    assert invites.sync_session_invites(invited) == 0
    db.session.commit()
    assert len(messages()) == before

    # Killed after queuing but before its bookkeeping: the dedupe keys stop a second copy.
    for row in db.session.scalars(select(SessionAttendee)):
        row.sent_sequence = -1
    for session in sessions_of(panel):
        session.invites_sequence = -1
    db.session.commit()
    assert invites.sync_due_invites() == 8
    assert len(messages()) == before


def test_held_and_past_sessions_are_left_alone(panel, clock, chair):
    first = sessions_of(panel)[0]
    clock.set(first.ends_at + timedelta(minutes=1))
    from telemed.sessions.service import finish_ended_sessions

    finish_ended_sessions()
    assert invites.sync_session_invites(first) == 0
    assert invites.sync_due_invites() == 7  # the seven sessions still ahead
    assert invites_to(chair, first) == []


# --- a case leaves its session ---------------------------------------------------------------


def test_the_referring_doctor_gets_a_cancel_when_their_only_case_leaves(
    panel, accepted, referring, coordinator, chair, member
):
    referring.locale = "en"
    first_case, second_case = accepted(), accepted()
    assign_cases()
    invites.sync_due_invites()
    first, later = sessions_of(panel)[:2]
    assert session_of(first_case).id == session_of(second_case).id == first.id

    place_by_hand(coordinator, first_case, later)
    assert invites.sync_due_invites() == 2  # both agendas changed
    # Still needed in the first session for the other case: nothing new about it.
    assert [m.kind for m in invites_to(referring, first)] == ["invite"]
    assert [m.kind for m in invites_to(referring, later)] == ["invite"]

    place_by_hand(coordinator, second_case, later)
    invites.sync_due_invites()
    sent = invites_to(referring, first)
    assert [m.kind for m in sent] == ["invite", "invite_removed"]
    cancel = sent[-1]
    assert cancel.subject == f"Cancelled: {panel.name}, session {first.number}"
    check_invite(cancel, first, "CANCEL", 0)  # the session itself did not change
    assert set(attendee_params(cancel)) == {referring.email}  # names only the one removed
    assert RSVP_LINK.findall(cancel.body_text) == []
    assert attendee_of(first, referring).active is False
    assert [m.kind for m in invites_to(referring, later)] == ["invite"]  # not invited twice
    for person in (chair, member):  # the board hears nothing about it
        assert [m.kind for m in invites_to(person, first)] == ["invite"]

    # The case comes back: invited again, as a new message at the same SEQUENCE.
    place_by_hand(coordinator, first_case, first)
    invites.sync_due_invites()
    sent = invites_to(referring, first)
    assert [m.kind for m in sent] == ["invite", "invite_removed", "invite"]
    check_invite(sent[-1], first, "REQUEST", 0)
    assert attendee_of(first, referring).active is True
    assert invites.sync_due_invites() == 0


# --- the session moves or is cancelled -------------------------------------------------------


def test_a_moved_session_sends_updates_with_the_next_sequence(
    invited, panel, coordinator, chair, member, guest, referring
):
    session = invited
    attendee_of(session, chair).partstat = PartStat.ACCEPTED
    db.session.commit()

    # Friday at the same hour: the invites are queued with the move, in its transaction.
    move_session(coordinator, session, datetime(2026, 3, 6, 18, 0))
    for person in (chair, member, guest):
        sent = invites_to(person, session)
        assert [m.kind for m in sent] == ["invite", "invite_update"]
        found = check_invite(sent[-1], session, "REQUEST", 1)
        assert found.decoded("DTSTART").isoformat() == "2026-03-06T18:00:00-06:00"
        assert str(found["UID"]) == str(event(sent[0])["UID"])  # the same event, updated
    assert invites_to(member, session)[-1].subject == (
        f"Updated: {panel.name}, session {session.number}"
    )
    # An answer was for the old time: asked again.
    assert attendee_of(session, chair).partstat is PartStat.NEEDS_ACTION
    # The move released the doctor's case: they are no longer needed there.
    cancel = invites_to(referring, session)[-1]
    assert cancel.kind == "invite_removed"
    check_invite(cancel, session, "CANCEL", 1)
    before = len(messages())
    assert invites.sync_due_invites() == 0
    assert len(messages()) == before


def test_a_cancelled_session_sends_a_cancel_to_everyone(
    invited, panel, coordinator, chair, member, guest, referring
):
    session = invited
    cancel_session(coordinator, session)
    for person in (chair, member, guest, referring):
        sent = invites_to(person, session)
        assert [m.kind for m in sent] == ["invite", "invite_cancel"]
        check_invite(sent[-1], session, "CANCEL", 1)
        assert sent[-1].dedupe_key == f"invite:{session.id}:1:{person.id}:CANCEL"
        assert RSVP_LINK.findall(sent[-1].body_text) == []
    assert invites_to(member, session)[-1].subject == (
        f"Cancelled: {panel.name}, session {session.number}"
    )
    before = len(messages())
    assert invites.sync_due_invites() == 0
    assert invites.sync_session_invites(session) == 0
    assert len(messages()) == before


# --- the board changes ------------------------------------------------------------------------


def test_a_new_member_is_invited_at_the_current_sequence_and_the_others_hear_nothing(
    invited, panel, coordinator, chair, member, guest, make_user
):
    session = invited
    move_session(coordinator, session, datetime(2026, 3, 6, 18, 0))  # SEQUENCE 1
    newcomer = make_user(Role.SPECIALIST, discipline=Discipline.PATHOLOGY, locale="en")
    before = {person.id: len(invites_to(person, session)) for person in (chair, member, guest)}

    board_service.add_member(coordinator, panel, {"user_id": newcomer.id, "role": "member"})
    assert invites.sync_due_invites() == 8  # every future session of the board
    [message] = invites_to(newcomer, session)
    check_invite(message, session, "REQUEST", 1)  # a new invitee, not a new SEQUENCE
    assert set(attendee_params(message)) == {chair.email, member.email, guest.email,
                                             newcomer.email}  # fmt: skip
    after = {person.id: len(invites_to(person, session)) for person in (chair, member, guest)}
    assert after == before

    # Made chair: the role changes, nobody is mailed for it.
    link = next(m for m in panel.members if m.user_id == newcomer.id)
    board_service.change_member_role(coordinator, link, {"role": "guest"})
    invites.sync_due_invites()
    assert attendee_of(session, newcomer).role is AttendeeRole.OPTIONAL
    assert len(invites_to(newcomer, session)) == 1

    board_service.remove_member(coordinator, link)
    assert invites.sync_due_invites() == 8
    sent = invites_to(newcomer, session)
    assert [m.kind for m in sent] == ["invite", "invite_removed"]
    check_invite(sent[-1], session, "CANCEL", 1)
    assert attendee_of(session, newcomer).active is False


# --- training and keynote audiences ----------------------------------------------------------


@pytest.fixture
def training(make_board, chair):
    made = make_board(kind=SessionKind.TRAINING, specialties=(), name="Capacitación continua",
                      members=[(chair, MemberRole.CHAIR)], quorum_disciplines=[])  # fmt: skip
    generate_sessions()
    return made


def test_training_invites_the_chosen_audience(
    training, coordinator, chair, referring, other_referring, make_user, centre
):
    radiologist = make_user(Role.SPECIALIST, discipline=Discipline.RADIOLOGY)
    haematologist = make_user(Role.SPECIALIST, discipline=Discipline.HAEMATOLOGY)
    tijuana_nurse = make_user(Role.SPECIALIST, discipline=Discipline.NURSING, centre_id=centre.id)
    make_user(Role.REFERRING, centre_id=centre.id, active=False)  # deactivated: never invited
    session, later = sessions_of(training)[:2]

    invites.set_audience(coordinator, session, f"centre:{centre.id}")
    invites.sync_due_invites()
    assert {uid: (row.role, row.reason) for uid, row in active_attendees(session).items()} == {
        chair.id: (AttendeeRole.CHAIR, "member"),
        referring.id: (AttendeeRole.OPTIONAL, "audience"),
        tijuana_nurse.id: (AttendeeRole.OPTIONAL, "audience"),
    }
    [message] = invites_to(referring, session)
    assert attendee_params(message)[referring.email]["ROLE"] == "OPT-PARTICIPANT"

    invites.set_audience(coordinator, session, "discipline:radiology")
    invites.sync_due_invites()
    assert set(active_attendees(session)) == {chair.id, radiologist.id}
    assert [m.kind for m in invites_to(referring, session)] == ["invite", "invite_removed"]

    invites.set_audience(coordinator, session, "everyone")
    invites.sync_due_invites()
    assert set(active_attendees(session)) == {
        chair.id, coordinator.id, referring.id, other_referring.id, radiologist.id,
        haematologist.id, tijuana_nurse.id,
    }  # fmt: skip
    assert active_attendees(session)[chair.id].role is AttendeeRole.CHAIR
    assert set(active_attendees(later)) == {chair.id}  # the audience was for one session

    for bad in ("centre:9999", "discipline:astrology", "all", "centre:"):
        with pytest.raises(InputError):
            invites.set_audience(coordinator, session, bad)
        db.session.rollback()
    with pytest.raises(Forbidden):
        invites.set_audience(chair, session, None)
    db.session.rollback()
    assert session.audience_scope == "everyone"


def test_a_case_review_session_has_no_audience(invited, coordinator):
    with pytest.raises(InvalidTransition):
        invites.set_audience(coordinator, invited, "everyone")


def test_the_coordinator_chooses_the_audience_on_the_session_page(
    app, training, coordinator, chair, referring, other_referring, centre
):
    session = sessions_of(training)[0]
    browser = client_for(app, coordinator)
    page = browser.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert 'name="audience_scope"' in page and f'value="centre:{centre.id}"' in page

    answer = browser.post(f"/sessions/{session.id}/audience",
                          data={"audience_scope": f"centre:{centre.id}"})  # fmt: skip
    assert answer.status_code == 302
    db.session.expire_all()
    assert session.audience_scope == f"centre:{centre.id}"
    invites.sync_due_invites()
    assert referring.id in active_attendees(session)
    # Invited as audience, the doctor may open the session page linked in the email.
    page = client_for(app, referring).get(f"/sessions/{session.id}")
    assert page.status_code == 200 and 'id="my-answer"' in page.get_data(as_text=True)
    assert client_for(app, other_referring).get(f"/sessions/{session.id}").status_code == 404

    refused = browser.post(
        f"/sessions/{session.id}/audience",
        data={"audience_scope": "planet:mars"},
        follow_redirects=True,
    )
    assert "Choose one of the audiences." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert session.audience_scope == f"centre:{centre.id}"
    # The chair may not choose it.
    assert client_for(app, chair).post(f"/sessions/{session.id}/audience",
                                       data={"audience_scope": ""}).status_code == 403  # fmt: skip


# --- the scheduler --------------------------------------------------------------------------


def test_the_scheduler_jobs_run_the_invite_services(app, panel, clock):
    jobs.bind(app, "x")
    committed(lease.try_acquire("x", timedelta(seconds=45)))
    assert jobs.sync_invites() == 8
    assert jobs.sync_invites() == 0
    assert jobs.send_reminders() == 0
    assert jobs.check_quorum() == 0
    clock.advance(timedelta(minutes=5))  # the lease lapsed: another scheduler leads
    assert jobs.sync_invites() is None
