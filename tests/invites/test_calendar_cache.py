"""Calendars built once (issue 16): each session's event is stored and reused, the private
feed answers ``304`` from its sessions' stamps, and invitations are assembled from the stored
event and queued in a few statements. Whatever is stored, the next read shows every change.

The solid-tumour board meets on Thursdays at 18:00 Mexico City time; the clock starts on
Monday 2 March 2026 with eight weekly sessions ahead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from icalendar import Calendar, Event
from sqlalchemy import func, select

from telemed.auth.models import Discipline, Role, User
from telemed.boards.models import Board, MemberRole, SessionKind
from telemed.cases.models import Case
from telemed.extensions import db
from telemed.invites import ical
from telemed.invites.models import CalendarEvent
from telemed.invites.rsvp_links import ANSWERS, make_token
from telemed.invites.service import set_audience, sync_due_invites, sync_session_invites
from telemed.outbox.models import OutboxMessage
from telemed.outbox.notify import Personal, prepare_alike, render
from telemed.outbox.service import in_language_of
from telemed.sessions.agenda import place_by_hand, reorder
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import BoardSession
from telemed.sessions.service import cancel_session, generate_sessions, move_session
from tests.conftest import client_for
from tests.invites.helpers import attendee_of, event, invites_to, messages, new_feed, path_of
from tests.scenes.boards import sessions_of
from tests.scenes.statements import statements


def feed_events(app: Flask, path: str, **headers: str) -> dict[str, Event]:
    """The feed's events by session id, as a calendar client reads them."""
    response = app.test_client().get(path, headers=headers)
    assert response.status_code == 200
    events = Calendar.from_ical(response.data).walk("VEVENT")
    return {str(e["UID"]).split("@")[0].removeprefix("session-"): e for e in events}


def one(app: Flask, path: str, session: BoardSession) -> Event:
    return feed_events(app, path)[str(session.id)]


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(CalendarEvent)) or 0


@pytest.fixture
def feed(app: Flask, board: Board, chair: User) -> str:
    """The chair's private feed, read once so every session's event is stored."""
    path = path_of(new_feed(client_for(app, chair)), app)
    assert len(feed_events(app, path)) == len(sessions_of(board))
    assert stored() == len(sessions_of(board))
    return path


# --- a change is visible on the next read ----------------------------------------------------


def test_a_moved_session_shows_its_new_time_in_the_feed_and_the_next_invite(
    app, board, chair, coordinator, feed
):
    sync_due_invites()
    session = sessions_of(board)[1]
    was = one(app, feed, session).decoded("DTSTART")
    local = session.starts_at.astimezone(ZoneInfo(board.timezone)).replace(tzinfo=None)
    move_session(coordinator, session, local + timedelta(days=1))
    db.session.commit()

    moved = one(app, feed, session)
    assert moved.decoded("DTSTART") == session.starts_at == was + timedelta(days=1)
    assert int(moved["SEQUENCE"]) == session.sequence == 1
    update = invites_to(chair, session)[-1]
    assert update.kind == "invite_update"
    assert event(update).decoded("DTSTART") == session.starts_at
    assert (
        one(app, feed, sessions_of(board)[2]).decoded("DTSTART") == sessions_of(board)[2].starts_at
    )


def test_an_agenda_change_updates_the_description(
    app, board, chair, coordinator, accepted: Callable[..., Case], feed
):
    first, second = sessions_of(board)[:2]
    assert "CE " not in str(one(app, feed, first)["DESCRIPTION"])
    case, other = accepted(), accepted()
    assign_cases()  # placed by the bulk INSERT, around the ORM
    code = f"CE {first.number}.{case.id}"
    assert code in str(one(app, feed, first)["DESCRIPTION"])

    items = [item.id for item in first.pending_items]
    reorder(coordinator, first, list(reversed(items)))
    db.session.commit()
    description = str(one(app, feed, first)["DESCRIPTION"])
    assert description.index(f".{other.id}") < description.index(f".{case.id}")

    place_by_hand(coordinator, case, second)
    db.session.commit()
    assert code not in str(one(app, feed, first)["DESCRIPTION"])
    assert f"CE {second.number}.{case.id}" in str(one(app, feed, second)["DESCRIPTION"])


def test_a_cancelled_session_is_cancelled_in_the_feed(app, board, coordinator, feed):
    session = sessions_of(board)[3]
    assert str(one(app, feed, session)["STATUS"]) == "CONFIRMED"
    cancel_session(coordinator, session)
    db.session.commit()
    cancelled = one(app, feed, session)
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled.walk("VALARM") == []  # no reminder of a session that will not happen


def test_the_feed_follows_its_owners_language(app, board, chair, feed):
    chair.locale = "en"
    db.session.commit()
    english = app.test_client().get(feed)
    assert "Order of business" in english.get_data(as_text=True)
    chair.locale = "es_MX"
    db.session.commit()
    spanish = app.test_client().get(feed, headers={"If-None-Match": english.headers["ETag"]})
    assert spanish.status_code == 200
    calendar = Calendar.from_ical(spanish.data)
    assert str(calendar["X-WR-CALNAME"]) == "Sesiones del comité de tumores"
    assert "Orden del día" in str(calendar.walk("VEVENT")[0]["DESCRIPTION"])
    assert stored() == 2 * len(sessions_of(board))  # one per language


def test_names_and_the_service_mailbox_shown_are_never_stale(
    app, board, coordinator, feed, monkeypatch
):
    session = sessions_of(board)[0]
    board.name = "Comité de tumores sólidos pediátricos"
    coordinator.name = "Dra. Nueva Coordinadora"
    db.session.commit()
    shown = one(app, feed, session)
    assert str(shown["SUMMARY"]).startswith("Comité de tumores sólidos pediátricos")
    assert "Dra. Nueva Coordinadora" in str(shown["DESCRIPTION"])
    assert shown["ORGANIZER"].params["CN"] == "Dra. Nueva Coordinadora"

    monkeypatch.setitem(app.config, "ITIP_ADDRESS", "itip@telemed.local")
    monkeypatch.setitem(app.config, "IMAP_HOST", "imap.telemed.local")
    assert str(one(app, feed, session)["ORGANIZER"]) == "mailto:itip@telemed.local"


# --- the entity tag ---------------------------------------------------------------------------


def test_the_etag_moves_exactly_when_the_feed_does(
    app, board, make_board, chair, coordinator, clock, feed, monkeypatch
):
    reader = app.test_client()
    first = reader.get(feed)
    tag = first.headers["ETag"]
    clock.advance(timedelta(minutes=20))  # a new DTSTAMP is not a new calendar
    assert reader.get(feed, headers={"If-None-Match": tag}).status_code == 304

    elsewhere = make_board(name="Comité de hematología", specialties=())
    generate_sessions()
    cancel_session(coordinator, sessions_of(elsewhere)[0])  # not the chair's: same feed
    db.session.commit()
    unchanged = reader.get(feed, headers={"If-None-Match": tag})
    assert unchanged.status_code == 304
    assert unchanged.headers["ETag"] == tag
    assert unchanged.headers["Cache-Control"] == "private, no-cache"
    assert not unchanged.data

    def no_building(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a 304 builds no event")

    monkeypatch.setattr(ical, "event_parts", no_building)
    with statements() as sent:
        assert reader.get(feed, headers={"If-None-Match": tag}).status_code == 304
    assert len(sent) == 2  # the token's owner and the sessions' stamps
    monkeypatch.undo()

    board.name = "Comité de tumores sólidos (nuevo nombre)"
    db.session.commit()
    renamed = reader.get(feed, headers={"If-None-Match": tag})
    assert renamed.status_code == 200
    assert renamed.headers["ETag"] != tag
    assert b"nuevo nombre" in renamed.data
    again = reader.get(feed, headers={"If-None-Match": renamed.headers["ETag"]})
    assert again.status_code == 304


def test_a_feed_reads_a_fixed_number_of_statements(app, board, chair, accepted, feed):
    """The agenda of every session was one query per session (1,000 for 1,000 sessions)."""
    for _ in range(3):
        accepted()
    assign_cases()  # every session's agenda changed: each event is built again
    with statements() as cold:
        feed_events(app, feed)
    with statements() as warm:
        feed_events(app, feed)
    # the owner, the calendars' version, the stamps, the stored events, the sessions and
    # their entries, the boards' coordinators, the write: as many for 1,000 sessions as for 8
    assert len(cold) <= 8, cold
    assert len(warm) == 4, warm  # the owner, the version, the stamps, the stored events


# --- who sees what ----------------------------------------------------------------------------


def test_no_feed_shows_anyones_attendee_data(
    app, board, chair, member, referring, accepted, make_user
):
    """Invitations list their attendees; what is stored and what feeds show never does."""
    chair_feed = path_of(new_feed(client_for(app, chair)), app)
    doctor_feed = path_of(new_feed(client_for(app, referring)), app)
    accepted()
    assign_cases()
    sync_due_invites()
    session = sessions_of(board)[0]
    request = invites_to(referring, session)[-1]
    assert "ATTENDEE" in request.ics and referring.email in request.ics

    for path in (chair_feed, doctor_feed):
        body = app.test_client().get(path).get_data(as_text=True)
        assert "ATTENDEE" not in body and "PARTSTAT" not in body
        for person in (chair, member, referring):
            assert person.email not in body
    for properties, alarm in db.session.execute(
        select(CalendarEvent.properties, CalendarEvent.alarm)
    ):
        assert "ATTENDEE" not in properties + alarm
    stranger = make_user(Role.SPECIALIST, email="ajeno@hospital.test")
    stranger_feed = path_of(new_feed(client_for(app, stranger)), app)
    assert feed_events(app, stranger_feed) == {}  # every event is stored: none is theirs


# --- invitations --------------------------------------------------------------------------------


@pytest.fixture
def audience(
    make_board: Callable[..., Board], coordinator: User, make_user: Callable[..., User]
) -> BoardSession:
    """A training for everyone: 24 specialists, half reading English (in Tijuana)."""
    chair = make_user(Role.SPECIALIST, email="presidenta@hospital.test", locale="en")
    training = make_board(
        name="Capacitación continua", kind=SessionKind.TRAINING, specialties=(),
        rrule="FREQ=MONTHLY;BYDAY=1FR;BYHOUR=13", members=[(chair, MemberRole.CHAIR)],
    )  # fmt: skip
    for n in range(24):
        english = n % 2 == 1
        make_user(Role.SPECIALIST, email=f"especialista{n}@hospital.test",
                  discipline=Discipline.PAEDIATRIC_ONCOLOGY, locale="en" if english else "es_MX",
                  timezone="America/Tijuana" if english else None)  # fmt: skip
    generate_sessions()
    session = sessions_of(training)[0]
    set_audience(coordinator, session, "everyone")
    db.session.commit()
    return session


def test_invitations_are_queued_once_each_in_a_few_statements(app, audience):
    people = db.session.scalar(select(func.count()).select_from(User).where(User.active)) or 0
    with statements() as sent:
        queued = sync_session_invites(audience)
    db.session.commit()
    assert queued == people
    # was two INSERTs per person (the attendee row, the message)
    assert len(sent) < 20, len(sent)
    assert len(messages("invite", session=audience)) == people
    assert sync_session_invites(audience) == 0  # once: nothing new to send
    db.session.commit()
    assert len(messages(session=audience)) == people

    # Each copy answers for its own recipient, in text and HTML, and for nobody else.
    sent_to = {m.to_user_id: m for m in messages("invite", session=audience)}
    tokens = {}
    with app.test_request_context():
        for user_id in sent_to:
            attendee = attendee_of(audience, db.session.get(User, user_id))
            tokens[user_id] = [make_token(attendee, p) for p in ANSWERS]
    for user_id, message in sent_to.items():
        assert f"mailto:{message.to_address}" in message.ics
        for token in tokens[user_id]:
            assert token in message.body_text and token in message.body_html
        others = [t for other, found in tokens.items() if other != user_id for t in found]
        assert not any(token in message.body_text + message.body_html for token in others)


def test_shared_copies_read_as_if_written_for_each(app, audience, coordinator):
    """Copies rendered once per language and zone, each with its own links, are what
    rendering each one alone gives."""
    people = list(db.session.scalars(select(User).where(User.email.like("especialista%"))))[:4]
    session = audience

    def context(links: tuple[str, ...]) -> dict[str, object]:
        return {"session": session, "agenda_codes": [], "answers": [("Sí", links[0])]}

    letters = [Personal(p, f"k{p.id}", (f"https://telemed.local/rsvp/{p.id}?a=1&b=2",))
               for p in people]  # fmt: skip
    with app.test_request_context():
        shared = prepare_alike("invite", letters, context)
        for person, copy in zip(people, shared, strict=True):
            link = f"https://telemed.local/rsvp/{person.id}?a=1&b=2"
            with in_language_of(person):
                alone = render("invite", person, **context((link,)))
            assert (copy.subject, copy.body_text, copy.body_html) == (
                alone.subject,
                alone.text,
                alone.html,
            )
        assert shared[0].body_html != shared[1].body_html  # Spanish and English


def test_enqueue_many_queues_each_key_once(app, chair, member, monkeypatch):
    from telemed.outbox import service as outbox

    monkeypatch.setattr(outbox, "ENQUEUE_CHUNK", 2)
    outbox.enqueue("k2", "invite", member, "Asunto", "Texto")
    batch = [
        outbox.Queued(
            f"k{n}", "invite", chair, "Asunto", "Texto", None, "BEGIN:VCALENDAR", "CANCEL"
        )
        for n in range(5)
    ]
    assert outbox.enqueue_many(batch) == {"k0", "k1", "k3", "k4"}
    assert outbox.enqueue_many(batch) == set()
    db.session.commit()
    rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.dedupe_key)))
    assert [row.dedupe_key for row in rows] == ["k0", "k1", "k2", "k3", "k4"]
    assert rows[2].to_user_id == member.id and rows[2].ics is None  # the first one kept
    assert all(row.ics_method == "CANCEL" for row in rows if row.dedupe_key != "k2")
