"""Every calendar the service makes, parsed back with ``icalendar`` as a client would.

The solid-tumour board meets on Thursdays at 18:00 Mexico City time; its coordinator
organises, its chair and the referring doctor of a case on the agenda are invited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask_babel import force_locale
from icalendar import Calendar, Event

from telemed.auth.models import User
from telemed.boards.models import Board
from telemed.cases.models import Case
from telemed.core.clock import Clock
from telemed.invites import ical
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import BoardSession, SessionStatus
from telemed.sessions.service import cancel_session, close_due_agendas, generate_sessions
from telemed.sessions.service import move_session as move
from tests.scenes.boards import MEXICO_CITY, sessions_of, utc

HOST = "telemed.local"
BASE_URL = "https://telemed.example.mx"


@pytest.fixture
def public_address(app: Flask, monkeypatch: pytest.MonkeyPatch) -> str:
    """The service published at ``BASE_URL`` (what ``TELEMED_BASE_URL`` configures)."""
    monkeypatch.setitem(app.config, "SERVER_NAME", "telemed.example.mx")
    monkeypatch.setitem(app.config, "PREFERRED_URL_SCHEME", "https")
    return BASE_URL


def parse(body: bytes) -> Calendar:
    assert isinstance(body, bytes)
    return Calendar.from_ical(body)


def only_event(calendar: Calendar) -> Event:
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def attendees(event: Event) -> dict[str, dict[str, str]]:
    """``mailto:`` address → its parameters, as a client lists the invitees."""
    value = event.get("attendee", [])
    values = value if isinstance(value, list) else [value]
    return {str(v): dict(v.params) for v in values}


def raw_line(body: bytes, name: str) -> str:
    """The event's unfolded content line of a property, to check how it is written."""
    unfolded = body.replace(b"\r\n ", b"").decode()
    event = unfolded[unfolded.index("BEGIN:VEVENT") :]
    return next(line for line in event.split("\r\n") if line.startswith(name))


def build(session: BoardSession, invitees: list[ical.Invitee], method: str = "REQUEST") -> bytes:
    with force_locale("en"):
        return ical.invite(
            session,
            invitees,
            method=method,
            host=HOST,
            dtstamp=datetime.now(UTC),
        )


@pytest.fixture
def scheduled(
    board: Board, accepted: Callable[..., Case], referring: User, chair: User
) -> tuple[BoardSession, Case, list[ical.Invitee]]:
    """The first session with the referring doctor's case on its agenda, and its invitees."""
    case = accepted()
    assign_cases()
    session = sessions_of(board)[0]
    assert [item.case_id for item in session.pending_items] == [case.id]
    invitees = [
        ical.Invitee(chair, "CHAIR", "ACCEPTED"),
        ical.Invitee(referring, "REQ-PARTICIPANT", "NEEDS-ACTION"),
    ]
    return session, case, invitees


# --- an invitation ----------------------------------------------------------------------


def test_request_carries_every_field_a_client_needs(
    scheduled, coordinator, referring, chair, clock, public_address
):
    session, case, invitees = scheduled
    with force_locale("en"):
        body = ical.invite(session, invitees, method="REQUEST", host=HOST, dtstamp=clock())
    calendar = parse(body)
    assert str(calendar["PRODID"]) == ical.PRODID == "-//telemed//Tumour board//ES"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "REQUEST"
    event = only_event(calendar)

    assert str(event["UID"]) == f"session-{session.id}@{HOST}"
    assert raw_line(body, "DTSTAMP") == "DTSTAMP:20260302T170000Z"  # the clock, in UTC
    assert event.decoded("DTSTAMP") == clock()

    # Local times with the board's TZID and the matching VTIMEZONE (Outlook needs both).
    assert raw_line(body, "DTSTART") == "DTSTART;TZID=America/Mexico_City:20260305T180000"
    assert raw_line(body, "DTEND") == "DTEND;TZID=America/Mexico_City:20260305T193000"
    assert event.decoded("DTSTART") == session.starts_at == utc(2026, 3, 6, 0, 0)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=90)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Mexico_City"]

    assert str(event["SUMMARY"]) == f"{session.board.name}, session {session.number}"
    assert str(event["LOCATION"]) == session.room_url == str(event["URL"])
    assert session.room_url == "https://video.telemed.local/comite-1/sesion-1"

    description = str(event["DESCRIPTION"])
    order = ["Order of business:", "- Welcome", "- Follow-up of previous agreements",
             "- Review of specific cases", f"    CE {session.number}.{case.id}",
             "- General matters", "- Reading of the agreements", "- Closing"]  # fmt: skip
    assert description.splitlines()[: len(order)] == order
    assert f"{BASE_URL}/sessions/{session.id}" in description
    assert session.room_url in description

    organizer = event["ORGANIZER"]
    assert str(organizer) == f"mailto:{coordinator.email}"
    assert organizer.params["CN"] == coordinator.name
    # No service mailbox in the test configuration: calendars offer no answer that would go
    # nowhere (test_calendar_replies.py has the mailbox and RSVP=TRUE).
    assert attendees(event) == {
        f"mailto:{chair.email}": {
            "CN": chair.name, "ROLE": "CHAIR", "PARTSTAT": "ACCEPTED", "RSVP": "FALSE",
            "CUTYPE": "INDIVIDUAL",
        },
        f"mailto:{referring.email}": {
            "CN": referring.name, "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION",
            "RSVP": "FALSE", "CUTYPE": "INDIVIDUAL",
        },
    }  # fmt: skip

    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") < timedelta(0)  # before the start
    assert event.decoded("SEQUENCE") == 0
    assert str(event["STATUS"]) == "CONFIRMED"


def test_request_in_spanish_keeps_board_number_and_codes(scheduled):
    session, case, invitees = scheduled
    with force_locale("es_MX"):
        body = ical.invite(
            session, invitees, method="REQUEST", host=HOST, dtstamp=datetime.now(UTC),
        )  # fmt: skip
    event = only_event(parse(body))
    assert session.board.name in str(event["SUMMARY"])
    assert str(session.number) in str(event["SUMMARY"])
    description = str(event["DESCRIPTION"])
    assert "Orden del día" in description
    assert f"CE {session.number}.{case.id}" in description


def test_closed_agenda_order_of_business_is_what_the_invite_lists(scheduled, clock):
    session, case, invitees = scheduled
    clock.set(session.cutoff_at)
    assert close_due_agendas() == 1
    assert session.status is SessionStatus.AGENDA_CLOSED
    description = str(only_event(parse(build(session, invitees)))["DESCRIPTION"])
    cases = next(s for s in session.order_of_business if s["key"] == "cases")
    assert cases["entries"] == [f"CE {session.number}.{case.id}"]
    assert f"    CE {session.number}.{case.id}" in description.splitlines()


# --- updates and cancellation -----------------------------------------------------------


def test_uid_stays_and_sequence_grows_on_a_move_then_a_cancel(scheduled, coordinator):
    session, _case, invitees = scheduled
    first = only_event(parse(build(session, invitees)))
    resent = only_event(parse(build(session, invitees)))
    assert first.decoded("SEQUENCE") == resent.decoded("SEQUENCE") == 0  # a resend is no change

    move(coordinator, session, datetime(2026, 3, 6, 17, 0))  # to Friday 17:00 board time
    moved_body = build(session, invitees)
    moved = only_event(parse(moved_body))
    assert str(parse(moved_body)["METHOD"]) == "REQUEST"
    assert str(moved["UID"]) == str(first["UID"]) == f"session-{session.id}@{HOST}"
    assert moved.decoded("SEQUENCE") == 1
    assert raw_line(moved_body, "DTSTART") == "DTSTART;TZID=America/Mexico_City:20260306T170000"
    assert str(moved["STATUS"]) == "CONFIRMED"

    cancel_session(coordinator, session)
    cancel_body = build(session, invitees, method="CANCEL")
    calendar = parse(cancel_body)
    cancelled = only_event(calendar)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(cancelled["UID"]) == str(first["UID"])
    assert cancelled.decoded("SEQUENCE") == 2
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled.walk("VALARM") == []  # nothing to be reminded of
    assert set(attendees(cancelled)) == set(attendees(first))


def test_cancel_to_a_removed_attendee_while_the_session_goes_on(scheduled, referring):
    """A referring doctor whose only case left the agenda gets a CANCEL at the same SEQUENCE."""
    session, _case, _invitees = scheduled
    body = build(session, [ical.Invitee(referring, "REQ-PARTICIPANT", "NEEDS-ACTION")], "CANCEL")
    calendar = parse(body)
    event = only_event(calendar)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("SEQUENCE") == session.sequence == 0
    assert list(attendees(event)) == [f"mailto:{referring.email}"]
    assert session.status is SessionStatus.PLANNED  # only this person's invitation ends


def test_publish_lists_sessions_without_attendees(board, coordinator):
    sessions = sessions_of(board)[:3]
    cancel_session(coordinator, sessions[1])
    with force_locale("en"):
        body = ical.feed(sessions, name="My sessions", host=HOST, dtstamp=datetime.now(UTC))
    calendar = parse(body)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "My sessions"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Mexico_City"]
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"session-{s.id}@{HOST}" for s in sessions]
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED", "CANCELLED", "CONFIRMED"]
    assert [e.decoded("SEQUENCE") for e in events] == [0, 1, 0]
    assert all("ATTENDEE" not in e for e in events)
    assert all(str(e["ORGANIZER"]) == f"mailto:{coordinator.email}" for e in events)


# --- the same instant for attendees across Mexico -----------------------------------------

ATTENDEE_ZONES = ("America/Tijuana", "America/Ciudad_Juarez", "America/Hermosillo",
                  "America/Cancun")  # fmt: skip


@pytest.mark.parametrize(
    ("today", "thursday", "expected"),
    [
        (utc(2026, 1, 5, 17), "20260108T180000", ("16:00", "17:00", "17:00", "19:00")),
        (utc(2026, 6, 29, 17), "20260702T180000", ("17:00", "18:00", "17:00", "19:00")),
    ],
    ids=["january", "july"],
)
def test_thursday_18_mexico_city_as_attendees_see_it(
    app: Flask, make_board, chair, clock: Clock, today, thursday, expected
):
    clock.set(today)
    made = make_board()
    generate_sessions()
    session = sessions_of(made)[0]
    body = build(session, [ical.Invitee(chair, "CHAIR", "NEEDS-ACTION")])
    assert raw_line(body, "DTSTART") == f"DTSTART;TZID=America/Mexico_City:{thursday}"
    calendar = parse(body)
    start = only_event(calendar).decoded("DTSTART")  # icalendar resolves the TZID itself
    assert start.astimezone(UTC) == session.starts_at

    # A client that only trusts the VTIMEZONE rules in the file lands on the same instant.
    (vtimezone,) = calendar.walk("VTIMEZONE")
    from_rules = start.replace(tzinfo=None).replace(tzinfo=vtimezone.to_tz(lookup_tzid=False))
    assert from_rules.astimezone(UTC) == session.starts_at
    assert from_rules.utcoffset() == timedelta(hours=-6)

    seen = tuple(start.astimezone(ZoneInfo(zone)).strftime("%H:%M") for zone in ATTENDEE_ZONES)
    assert seen == expected
    seen_from_rules = tuple(
        from_rules.astimezone(ZoneInfo(zone)).strftime("%H:%M") for zone in ATTENDEE_ZONES
    )
    assert seen_from_rules == expected
    assert start.astimezone(MEXICO_CITY).strftime("%A %H:%M") == "Thursday 18:00"
