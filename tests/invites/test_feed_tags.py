"""The private feed's tag remembered per process (``invites/feed_tags.py``): a calendar
client polling an unchanged feed gets its ``304`` from two statements, and every committed
change to what the feed shows or selects — and a new day on the owner's clock — gives a
``200`` with the new calendar on the next poll.

The solid-tumour board meets on Thursdays at 18:00 Mexico City time; the clock starts on
Monday 2 March 2026 with eight weekly sessions ahead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy import update
from werkzeug.test import TestResponse

from telemed.auth.models import Role, User
from telemed.boards.models import Board, BoardMember, MemberRole
from telemed.cases.models import Case
from telemed.extensions import db
from telemed.invites import feed_tags, feeds
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import (
    AgendaItem,
    ItemOutcome,
    SessionAttendee,
)
from telemed.sessions.service import cancel_session
from tests.conftest import client_for
from tests.invites.helpers import new_feed, path_of, synced, uid
from tests.scenes.boards import sessions_of
from tests.scenes.statements import statements

MEXICO_CITY = ZoneInfo("America/Mexico_City")


@pytest.fixture(autouse=True)
def nothing_remembered() -> None:
    """Each test starts with no tag remembered in this process (the database is new)."""
    feed_tags.known.clear()


class Poller:
    """A calendar client: asks again with the ETag of the last calendar it received."""

    def __init__(self, app: Flask, path: str) -> None:
        self.client, self.path = app.test_client(), path
        self.tag: str | None = None
        self.calendar = b""

    def poll(self) -> TestResponse:
        headers = {"If-None-Match": self.tag} if self.tag else {}
        response = self.client.get(self.path, headers=headers)
        if response.status_code == 200:
            self.tag, self.calendar = response.headers["ETag"], response.data
        return response

    def settled(self) -> None:
        """Polled until nothing is new, and the last ``304`` came from the remembered tag:
        the token's owner and the calendars' version, no session read."""
        assert self.poll().status_code in (200, 304)
        with statements() as sent:
            assert self.poll().status_code == 304
        assert len(sent) == 2, sent

    def changed(self) -> bool:
        before = self.tag
        response = self.poll()
        return response.status_code == 200 and response.headers["ETag"] != before

    def listed(self) -> list[str]:
        """The sessions' UIDs in the last calendar received."""
        return [str(e["UID"]) for e in Calendar.from_ical(self.calendar).walk("VEVENT")]


def poller(app: Flask, user: User) -> Poller:
    return Poller(app, path_of(new_feed(client_for(app, user)), app))


# --- every change to what a feed shows or selects is on the next poll --------------------------


def test_a_cancelled_session(app, board, chair, coordinator):
    feed = poller(app, chair)
    feed.settled()
    cancel_session(coordinator, sessions_of(board)[2])
    db.session.commit()
    assert feed.changed()
    assert b"STATUS:CANCELLED" in feed.calendar
    feed.settled()  # the new tag remembered: it is the one worked out from the sessions
    feed_tags.known.clear()
    assert app.test_client().get(feed.path).headers["ETag"] == feed.tag


def test_a_renamed_board(app, board, chair):
    feed = poller(app, chair)
    feed.settled()
    board.name = "Comité de tumores sólidos (nuevo nombre)"
    db.session.commit()
    assert feed.changed()
    assert "nuevo nombre" in Calendar.from_ical(feed.calendar).walk("VEVENT")[0]["SUMMARY"]


def test_a_renamed_coordinator(app, board, chair, coordinator):
    feed = poller(app, chair)
    feed.settled()
    coordinator.name = "Dra. Nueva Coordinadora"
    db.session.commit()
    assert feed.changed()
    event = Calendar.from_ical(feed.calendar).walk("VEVENT")[0]
    assert event["ORGANIZER"].params["CN"] == "Dra. Nueva Coordinadora"


def test_an_invitation_withdrawn_by_the_invite_sync(app, board, chair):
    sessions = sessions_of(board)
    for session in sessions:
        synced(session, (chair, True))
    feed = poller(app, chair)
    feed.settled()
    assert len(feed.listed()) == len(sessions)
    db.session.execute(
        update(SessionAttendee)
        .where(SessionAttendee.session_id == sessions[1].id)
        .values(active=False)
    )  # a bulk statement, as a sync of many rows would send
    db.session.commit()
    assert feed.changed()
    assert uid(app, sessions[1]) not in feed.listed()


def test_a_new_member_of_the_board(app, board, make_user):
    newcomer = make_user(Role.SPECIALIST, email="nuevo@hospital.test")
    feed = poller(app, newcomer)
    feed.settled()
    assert feed.listed() == []
    db.session.add(BoardMember(board_id=board.id, user_id=newcomer.id, role=MemberRole.MEMBER))
    db.session.commit()
    assert feed.changed()
    assert feed.listed() == [uid(app, s) for s in sessions_of(board)]


@pytest.fixture
def doctors_session(app: Flask, board: Board, accepted: Callable[..., Case], referring: User):
    """The referring doctor's case placed on a session (the invite sync has not run: the
    doctor's own case on its agenda puts the session in their feed)."""
    case = accepted()
    assign_cases()
    db.session.commit()
    session = next(s for s in sessions_of(board) if s.pending_items)
    feed = poller(app, referring)
    feed.settled()
    assert feed.listed() == [uid(app, session)]
    return case, session, feed


def test_an_agenda_entry_taken_off_by_a_bulk_statement(app, doctors_session):
    case, _session, feed = doctors_session
    db.session.execute(
        update(AgendaItem)
        .where(AgendaItem.case_id == case.id)
        .values(outcome=ItemOutcome.WITHDRAWN)
    )  # agenda entries only: the session row is not written
    db.session.commit()
    assert feed.changed()
    assert feed.listed() == []


def test_a_case_handed_to_another_doctor(app, doctors_session, make_user, centre):
    case, _session, feed = doctors_session
    colleague = make_user(Role.REFERRING, centre_id=centre.id, email="colega@hospital.test")
    case.submitted_by_id = colleague.id
    db.session.commit()
    assert feed.changed()
    assert feed.listed() == []


def test_a_new_day_drops_a_session_cancelled_yesterday(app, board, chair, coordinator, clock):
    """No write at all: the feed moves at the owner's midnight."""
    first = sessions_of(board)[0]  # Thursday 5 March, 18:00
    cancel_session(coordinator, first)
    db.session.commit()
    clock.set(datetime(2026, 3, 5, 23, 30, tzinfo=MEXICO_CITY))
    feed = poller(app, chair)
    feed.settled()
    assert uid(app, first) in feed.listed()  # cancelled today: clients remove it
    clock.advance(timedelta(hours=1))  # Friday 00:30
    assert feed.changed()
    assert uid(app, first) not in feed.listed()


# --- what the feed does not read keeps the remembered tag --------------------------------------


def test_writes_a_feed_does_not_read_keep_the_remembered_tag(app, board, chair, send, accept):
    case = send()
    feed = poller(app, chair)
    feed.settled()
    version = feed_tags.CALENDARS.current()
    client_for(app, chair).get("/")  # a login writes the user row (its last login)
    accept(case)  # the case's status and dates, on no agenda yet
    case.question = "¿Cirugía o quimioterapia neoadyuvante primero?"
    db.session.commit()
    assert feed_tags.CALENDARS.current() == version
    with statements() as sent:
        assert feed.poll().status_code == 304
    assert len(sent) == 2


def test_every_table_the_tag_is_worked_out_from_raises_the_version(app, board, chair):
    """A table the feed's sessions or their stamps come from, outside ``CALENDARS``, would
    leave a remembered tag standing after its change (the owner is read on every request,
    the stored events are checked by fingerprint)."""
    assert chair.display_timezone  # the owner loaded first, as the request does
    with statements() as seen:
        assert len(feeds.user_stamps(chair)) == len(sessions_of(board))
    read = {name for sql in seen for name in re.findall(r"(?:FROM|JOIN)\s+(\w+)", sql)}
    assert read - set(feed_tags.CALENDARS.tables) == set()
    assert {"board_sessions", "session_attendees", "board_members", "agenda_items"} <= read
