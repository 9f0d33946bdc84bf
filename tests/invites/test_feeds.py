"""Calendar feeds and downloads: a private feed URL per person, public board feeds of
training and keynote sessions, and the ``.ics`` button on every session page.

The solid-tumour board meets on Thursdays at 18:00 Mexico City time; the clock starts on
Monday 2 March 2026 with eight weekly sessions ahead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from telemed.audit.models import AuditEntry
from telemed.auth.models import Role, User
from telemed.boards.models import Board, MemberRole, SessionKind
from telemed.cases.models import Case
from telemed.extensions import db
from telemed.invites.models import CalendarFeed
from telemed.sessions.assignment import assign_cases
from telemed.sessions.service import cancel_session, create_extraordinary, generate_sessions
from tests.conftest import base_url, client_for
from tests.invites.helpers import new_feed, path_of, synced, uid, uids
from tests.scenes.boards import sessions_of, utc

# --- the private feed URL -----------------------------------------------------------------


def test_feed_url_is_shown_once_and_only_its_hash_is_kept(app, chair):
    browser = client_for(app, chair)
    page = browser.get("/auth/profile").get_data(as_text=True)
    assert "You have no calendar feed yet." in page
    assert 'id="feed-url"' not in page

    url = new_feed(browser)
    token = url.removeprefix(f"{base_url(app)}/feeds/").removesuffix(".ics")
    assert len(token) >= 43  # secrets.token_urlsafe(32)
    feed = db.session.get(CalendarFeed, chair.id)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in feed.token_hash

    again = browser.get("/auth/profile").get_data(as_text=True)
    assert token not in again  # shown once, then forgotten
    assert "Your feed address was created on" in again
    assert "Regenerate feed address" in again
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == chair.id))
    assert "feed.create" in list(actions)


def test_regenerating_revokes_the_old_url(app, board, chair):
    browser = client_for(app, chair)
    old = path_of(new_feed(browser), app)
    assert browser.get(old).status_code == 200
    anonymous = app.test_client()
    assert anonymous.get(old).status_code == 200

    new = path_of(new_feed(browser), app)
    assert new != old
    assert anonymous.get(old).status_code == 404
    assert anonymous.get(new).status_code == 200
    assert db.session.scalar(select(db.func.count()).select_from(CalendarFeed)) == 1


def test_unknown_token_and_inactive_owner_get_404(app, board, chair):
    anonymous = app.test_client()
    assert anonymous.get("/feeds/not-a-token.ics").status_code == 404
    assert anonymous.get("/feeds/.ics").status_code == 404
    path = path_of(new_feed(client_for(app, chair)), app)
    chair.active = False
    db.session.commit()
    assert anonymous.get(path).status_code == 404


def test_feed_needs_no_login_and_answers_with_calendar_headers(app, board, chair):
    path = path_of(new_feed(client_for(app, chair)), app)
    response = app.test_client().get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    # A user's own calendar (case codes, sessions) stays out of shared caches; their calendar
    # client may keep it but asks (with the ETag) before using it again.
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["Content-Disposition"].startswith("inline; filename=")
    assert response.headers["Content-Disposition"].endswith('.ics"')
    assert response.headers["ETag"]
    assert "Set-Cookie" not in response.headers
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"])
    assert uids(response) == [uid(app, s) for s in sessions_of(board)]


def test_unchanged_feed_answers_304_until_a_session_changes(app, board, chair, coordinator, clock):
    path = path_of(new_feed(client_for(app, chair)), app)
    anonymous = app.test_client()
    first = anonymous.get(path)
    tag = first.headers["ETag"]

    clock.advance(timedelta(minutes=20))  # a new DTSTAMP is not a new calendar
    again = anonymous.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.data == b""

    cancel_session(coordinator, sessions_of(board)[2])
    changed = anonymous.get(path, headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    statuses = [str(e["STATUS"]) for e in Calendar.from_ical(changed.data).walk("VEVENT")]
    assert statuses.count("CANCELLED") == 1


# --- what the private feed lists -----------------------------------------------------------


def test_feed_lists_the_sessions_i_am_invited_to(
    app, board, make_board, chair, make_user, referring
):
    """Once the invite sync ran, attendee rows decide; before, board membership does."""
    sessions = sessions_of(board)
    other_board = make_board(name="Comité de hematología", specialties=())
    generate_sessions()
    others = sessions_of(other_board)
    synced(sessions[0], (chair, True))
    synced(sessions[1], (chair, False))  # chair was sent a cancellation for this one
    synced(others[0], (chair, True))  # invited to another board's session
    synced(others[1])  # synced, chair not invited

    path = path_of(new_feed(client_for(app, chair)), app)
    listed = uids(app.test_client().get(path))
    expected = [sessions[0], others[0], *sessions[2:]]
    assert sorted(listed) == sorted(uid(app, s) for s in expected)
    assert uid(app, sessions[1]) not in listed
    assert uid(app, others[1]) not in listed

    stranger = make_user(Role.SPECIALIST, email="ajeno@hospital.test")
    empty = app.test_client().get(path_of(new_feed(client_for(app, stranger)), app))
    assert empty.status_code == 200
    assert uids(empty) == []


def test_referring_doctor_sees_the_session_of_their_case(app, board, accepted, referring):
    case: Case = accepted()
    assign_cases()
    session = next(s for s in sessions_of(board) if s.pending_items)
    assert session.pending_items[0].case_id == case.id
    path = path_of(new_feed(client_for(app, referring)), app)
    assert uids(app.test_client().get(path)) == [uid(app, session)]


def test_feed_follows_the_invite_sync_when_a_case_moves(
    app, board, accepted, referring, chair, coordinator
):
    from telemed.invites.service import sync_due_invites
    from telemed.sessions.agenda import place_by_hand

    case: Case = accepted()
    assign_cases()
    sync_due_invites()
    first, second = sessions_of(board)[:2]
    assert first.pending_items[0].case_id == case.id
    doctor = path_of(new_feed(client_for(app, referring)), app)
    member = path_of(new_feed(client_for(app, chair)), app)
    assert uids(app.test_client().get(doctor)) == [uid(app, first)]

    place_by_hand(coordinator, case, second)  # the coordinator moves the case a week on
    sync_due_invites()
    assert uids(app.test_client().get(doctor)) == [uid(app, second)]
    assert uids(app.test_client().get(member)) == [uid(app, s) for s in sessions_of(board)]


def test_feed_reaches_90_days_back_and_drops_past_cancellations(
    app, board, chair, coordinator, clock
):
    sessions = sessions_of(board)  # Thursdays 5 March … 23 April
    cancel_session(coordinator, sessions[-1])  # 23 April
    cancel_session(coordinator, sessions[-2])  # 16 April
    path = path_of(new_feed(client_for(app, chair)), app)

    clock.set(utc(2026, 4, 20, 17))  # Monday 20 April
    listed = uids(app.test_client().get(path))
    assert uid(app, sessions[-1]) in listed  # cancelled, still ahead: clients remove it
    assert uid(app, sessions[-2]) not in listed  # cancelled and past
    assert uid(app, sessions[0]) in listed

    clock.set(utc(2026, 6, 15, 17))  # 90 days after 5 March is 3 June; 12 March is 92 days back
    listed = uids(app.test_client().get(path))
    kept = [s for s in sessions[:-2] if s.starts_at >= utc(2026, 6, 15, 17) - timedelta(days=90)]
    assert [s.number for s in kept] == [3, 4, 5, 6]
    assert listed == [uid(app, s) for s in kept]

    # Whole days on the owner's clock: 19 March is 90 days before Wednesday 17 June all day
    # long, also after its 18:00 session's hour (02:00 UTC on the 18th is 20:00 on the 17th).
    clock.set(utc(2026, 6, 18, 2))
    assert uids(app.test_client().get(path))[0] == uid(app, sessions[2])


# --- the public board feed -----------------------------------------------------------------


@pytest.fixture
def training(make_board: Callable[..., Board], coordinator: User) -> Board:
    board = make_board(
        name="Capacitación continua", kind=SessionKind.TRAINING, specialties=(),
        rrule="FREQ=MONTHLY;BYDAY=1FR;BYHOUR=13", public_feed=True,
    )  # fmt: skip
    generate_sessions()
    create_extraordinary(coordinator, board, sessions_of(board)[0].starts_at.replace(tzinfo=None)
                         + timedelta(days=7), topic="Hora Dorada en neutropenia febril",
                         speaker="Dra. Ana Ruiz")  # fmt: skip
    return board


def test_public_feed_lists_training_sessions_with_topic_and_speaker(app, training, board):
    anonymous = app.test_client()
    response = anonymous.get(f"/feeds/boards/{training.id}.ics")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=900"
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Capacitación continua"
    events = calendar.walk("VEVENT")
    assert sorted(str(e["UID"]) for e in events) == sorted(
        uid(app, s) for s in sessions_of(training)
    )
    talk = next(e for e in events if "Hora Dorada" in str(e["SUMMARY"]))
    assert "Dra. Ana Ruiz" in str(talk["SUMMARY"])
    assert "Hora Dorada en neutropenia febril" in str(talk["DESCRIPTION"])
    assert "ATTENDEE" not in talk

    # A case-review board, even when published, lists no case sessions.
    board.public_feed = True
    db.session.commit()
    assert uids(anonymous.get(f"/feeds/boards/{board.id}.ics")) == []


def test_unpublished_or_missing_board_feed_is_404(app, training):
    anonymous = app.test_client()
    training.public_feed = False
    db.session.commit()
    assert anonymous.get(f"/feeds/boards/{training.id}.ics").status_code == 404
    assert anonymous.get("/feeds/boards/999.ics").status_code == 404


def test_coordinator_publishes_a_feed_from_the_board_form(app, training, coordinator, specialist):
    staff = client_for(app, coordinator)
    training.public_feed = False
    db.session.commit()
    form = staff.get(f"/boards/{training.id}/edit").get_data(as_text=True)
    assert 'name="public_feed"' in form
    assert not re.search(r'id="public_feed"[^>]*checked', form)

    values = {
        "name": training.name, "kind": "training", "coordinator_id": str(coordinator.id),
        "timezone": training.timezone, "rrule": training.rrule, "start_date": "2026-01-01",
        "start_time": "13:00", "duration_minutes": "90", "minutes_per_case": "10",
        "cutoff_days_before": "2", "cutoff_time": "23:59",
        "room_url_pattern": training.room_url_pattern, "active": "on",
    }  # fmt: skip
    saved = staff.post(f"/boards/{training.id}/edit", data={**values, "public_feed": "on"})
    assert saved.status_code == 302
    db.session.refresh(training)
    assert training.public_feed is True
    assert re.search(r'id="public_feed"[^>]*checked', staff.get(f"/boards/{training.id}/edit").text)
    feed_url = f"{base_url(app)}/feeds/boards/{training.id}.ics"
    assert feed_url in client_for(app, specialist).get(f"/boards/{training.id}").text

    assert staff.post(f"/boards/{training.id}/edit", data=values).status_code == 302
    db.session.refresh(training)
    assert training.public_feed is False
    assert feed_url not in staff.get(f"/boards/{training.id}").text
    assert app.test_client().get(f"/feeds/boards/{training.id}.ics").status_code == 404


# --- the .ics download ----------------------------------------------------------------------


def test_session_page_offers_a_download_of_one_event(app, board, chair):
    session = sessions_of(board)[0]
    browser = client_for(app, chair)
    page = browser.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert f'href="/sessions/{session.id}.ics"' in page
    assert "Download .ics" in page

    response = browser.get(f"/sessions/{session.id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="session-{session.id}.ics"'
    )
    assert response.headers["Cache-Control"].startswith("private")
    assert uids(response) == [uid(app, session)]
    (event,) = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(event["SUMMARY"]) == f"{board.name}, session {session.number}"


def test_download_follows_the_session_page_visibility(
    app, board, accepted, referring, other_referring, specialist, coordinator
):
    accepted()
    assign_cases()
    session = next(s for s in sessions_of(board) if s.pending_items)
    empty = next(s for s in sessions_of(board) if not s.pending_items)
    path = f"/sessions/{session.id}.ics"

    anonymous = app.test_client().get(path)
    assert anonymous.status_code == 302
    assert "/auth/login" in anonymous.headers["Location"]

    for user, sees in [(referring, True), (coordinator, True), (other_referring, False),
                       (specialist, False)]:  # fmt: skip
        browser = client_for(app, user)
        assert browser.get(f"/sessions/{session.id}").status_code == (200 if sees else 404)
        assert browser.get(path).status_code == (200 if sees else 404), user.email
    mine = client_for(app, referring)
    assert mine.get(f"/sessions/{empty.id}.ics").status_code == 404
    assert mine.get("/sessions/999.ics").status_code == 404


def test_member_added_later_gets_the_board_sessions(app, board, make_user):
    from telemed.boards.models import BoardMember

    newcomer = make_user(Role.SPECIALIST, email="nuevo@hospital.test")
    browser = client_for(app, newcomer)
    path = path_of(new_feed(browser), app)
    assert uids(app.test_client().get(path)) == []
    db.session.add(BoardMember(board_id=board.id, user_id=newcomer.id, role=MemberRole.MEMBER))
    db.session.commit()
    assert uids(app.test_client().get(path)) == [uid(app, s) for s in sessions_of(board)]
    assert browser.get(f"/sessions/{sessions_of(board)[0].id}.ics").status_code == 200
