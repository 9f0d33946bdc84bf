"""Reading what the invite service queued: outbox rows, their calendars, attendee rows."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar, Event
from sqlalchemy import select

from telemed.auth.models import Discipline, Role, User
from telemed.boards.models import Board, MemberRole
from telemed.cases.models import Case
from telemed.extensions import db
from telemed.invites.service import sync_due_invites
from telemed.outbox.models import OutboxMessage
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import AttendeeRole, BoardSession, PartStat, SessionAttendee
from telemed.sessions.service import generate_sessions
from tests.conftest import base_url
from tests.scenes.boards import session_of, sessions_of

INVITE_KINDS = ("invite", "invite_update", "invite_cancel", "invite_removed")
HOST = "telemed.local"  # MAIL_DOMAIN in the test configuration


def messages(
    *kinds: str, user: User | None = None, session: BoardSession | None = None
) -> list[OutboxMessage]:
    """Queued messages, oldest first, of the given kinds (all kinds if none given)."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kinds:
        query = query.where(OutboxMessage.kind.in_(kinds))
    if user is not None:
        query = query.where(OutboxMessage.to_user_id == user.id)
    if session is not None:
        query = query.where(
            OutboxMessage.dedupe_key.like(f"invite:{session.id}:%")
            | OutboxMessage.dedupe_key.like(f"reminder:{session.id}:%")
            | OutboxMessage.dedupe_key.like(f"quorum:{session.id}:%")
        )
    return list(db.session.scalars(query))


def invites_to(user: User, session: BoardSession) -> list[OutboxMessage]:
    return messages(*INVITE_KINDS, user=user, session=session)


def calendar(message: OutboxMessage) -> Calendar:
    """The message's calendar parsed back with icalendar (and checked for one event)."""
    assert message.ics is not None, message.kind
    parsed = Calendar.from_ical(message.ics)
    assert len(parsed.walk("VEVENT")) == 1
    assert str(parsed["METHOD"]) == message.ics_method
    return parsed


def event(message: OutboxMessage) -> Event:
    return calendar(message).walk("VEVENT")[0]


def attendee_params(message: OutboxMessage) -> dict[str, dict[str, str]]:
    """ATTENDEE lines by email address, each with its parameters."""
    found = event(message).get("attendee", [])
    if not isinstance(found, list):
        found = [found]
    return {
        str(value).removeprefix("mailto:"): {key: str(param) for key, param in value.params.items()}
        for value in found
    }


def check_invite(message: OutboxMessage, session: BoardSession, method: str, sequence: int) -> Any:
    """The iTIP fields every invite carries; returns the event."""
    parsed = calendar(message)
    assert str(parsed["METHOD"]) == method == message.ics_method
    found = parsed.walk("VEVENT")[0]
    assert str(found["UID"]) == f"session-{session.id}@{HOST}"
    assert int(found["SEQUENCE"]) == sequence
    assert found.decoded("DTSTART") == session.starts_at
    assert str(found["STATUS"]) == ("CANCELLED" if method == "CANCEL" else "CONFIRMED")
    return found


def attendee_of(session: BoardSession, user: User) -> SessionAttendee | None:
    return db.session.scalar(
        select(SessionAttendee).where(
            SessionAttendee.session_id == session.id, SessionAttendee.user_id == user.id
        )
    )


def active_attendees(session: BoardSession) -> dict[int, SessionAttendee]:
    rows = db.session.scalars(
        select(SessionAttendee).where(
            SessionAttendee.session_id == session.id, SessionAttendee.active.is_(True)
        )
    )
    return {row.user_id: row for row in rows}


# --- private feeds ---------------------------------------------------------------------------

FEED_URL = re.compile(r'<code class="user-select-all" id="feed-url">([^<]+)</code>')


def new_feed(client: FlaskClient) -> str:
    """Press the button on the profile page; return the feed URL it shows once."""
    response = client.post("/feeds/regenerate")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/profile#calendar-feed")
    page = client.get("/auth/profile").get_data(as_text=True)
    found = FEED_URL.search(page)
    assert found, page
    return found.group(1)


def path_of(url: str, app: Flask) -> str:
    base = base_url(app)
    assert url.startswith(base + "/feeds/") and url.endswith(".ics")
    return url.removeprefix(base)


def uids(response) -> list[str]:  # type: ignore[no-untyped-def]
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["METHOD"]) == "PUBLISH"
    return [str(event["UID"]) for event in calendar.walk("VEVENT")]


def uid(app: Flask, session: BoardSession) -> str:
    return f"session-{session.id}@{app.config['MAIL_DOMAIN']}"


# --- fixtures (imported by the test modules) -------------------------------------------------


@pytest.fixture
def member(make_user: Callable[..., User]) -> User:
    """A radiologist on the board who reads English."""
    return make_user(Role.SPECIALIST, email="radiologa@hospital.test", name="Dra. Radióloga",
                     discipline=Discipline.RADIOLOGY, locale="en")  # fmt: skip


@pytest.fixture
def guest(make_user: Callable[..., User]) -> User:
    return make_user(Role.SPECIALIST, email="paliativos@hospital.test", name="Dr. Paliativos",
                     discipline=Discipline.PALLIATIVE_CARE, locale="en")  # fmt: skip


@pytest.fixture
def panel(make_board: Callable[..., Board], chair: User, member: User, guest: User) -> Board:
    """The solid-tumour board with a chair, a member and a guest, and 8 weeks of sessions."""
    made = make_board(
        members=[(chair, MemberRole.CHAIR), (member, MemberRole.MEMBER), (guest, MemberRole.GUEST)]
    )
    generate_sessions()
    return made


@pytest.fixture
def invited(
    panel: Board, accepted: Callable[..., Case], referring: User, coordinator: User
) -> BoardSession:
    """A case placed on the first session and every session's invites sent; the referring
    doctor (Tijuana) and the coordinator read English."""
    referring.locale = "en"
    coordinator.locale = "en"
    db.session.commit()
    case = accepted()
    assign_cases()
    assert sync_due_invites() == 8
    session = session_of(case)
    assert session is not None and session.starts_at == sessions_of(panel)[0].starts_at
    return session


def synced(session: BoardSession, *rows: tuple[User, bool]) -> None:
    """What the invite sync leaves behind: attendee rows and the roster it saw."""
    for user, active in rows:
        db.session.add(
            SessionAttendee(
                session_id=session.id,
                user_id=user.id,
                role=AttendeeRole.REQUIRED,
                reason="member",
                partstat=PartStat.NEEDS_ACTION,
                active=active,
            )
        )
    session.invites_roster = session.roster_version
    session.invites_sequence = session.sequence
    db.session.commit()
