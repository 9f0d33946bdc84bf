"""Sessions as iCalendar bytes (RFC 5545) for iTIP invites (RFC 5546) and feeds.

Takes the session and the people, returns bytes (links come from the app's URL map at the
configured address). The ORGANIZER is the service mailbox (``ITIP_ADDRESS``) under the
coordinator's name when one is configured, so "Accept" in a calendar client reaches
``invites.replies``; without one the coordinator organises and every ATTENDEE says
``RSVP=FALSE`` (answers go by the email's links). Times carry the board's TZID with a
matching VTIMEZONE, which Outlook, Google and Apple all resolve. Only case codes and links
ever go into the text: no patient data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vText

from telemed.auth.models import User
from telemed.core.links import external_url
from telemed.sessions.models import BoardSession, SessionStatus
from telemed.sessions.order_of_business import outline

PRODID = "-//telemed//Tumour board//ES"


@dataclass(frozen=True)
class Invitee:
    user: User
    role: str  # CHAIR, REQ-PARTICIPANT, OPT-PARTICIPANT
    partstat: str  # NEEDS-ACTION, ACCEPTED, TENTATIVE, DECLINED


def uid_for(session: BoardSession, host: str) -> str:
    """Stable across every update and the cancellation, so clients update in place."""
    return f"session-{session.id}@{host}"


def summary_for(session: BoardSession) -> str:
    return _("%(board)s, session %(number)d", board=session.board.name, number=session.number)


def description_for(session: BoardSession) -> str:
    """Order of business and agenda as case codes, plus the session page link."""
    lines = [_("Order of business:")]
    for title, entries in outline(session):
        lines.append(f"- {title}")
        lines.extend(f"    {entry}" for entry in entries)
    page = external_url("sessions.session_detail", session_id=session.id)
    lines += ["", _("Video room: %(url)s", url=session.room_url),
              _("Session page: %(url)s", url=page)]  # fmt: skip
    coordinator = session.board.coordinator
    if coordinator is not None:  # the organiser people know, whoever the ORGANIZER address is
        lines.append(_("Coordinator: %(name)s <%(email)s>", name=coordinator.name,
                       email=coordinator.email))  # fmt: skip
    return "\n".join(lines)


def service_mailbox() -> str | None:
    """The address calendar clients answer to, when the service reads its mailbox."""
    config = current_app.config
    if config.get("ITIP_ADDRESS") and config.get("IMAP_HOST"):
        return str(config["ITIP_ADDRESS"])
    return None


def organizer_for(session: BoardSession) -> vCalAddress | None:
    """The service mailbox named after the coordinator (clients show the name and mail the
    address), or the coordinator themselves when no mailbox is read."""
    coordinator = session.board.coordinator
    mailbox = service_mailbox()
    if mailbox is None:
        return address(coordinator) if coordinator is not None else None
    value = vCalAddress(f"mailto:{mailbox}")
    value.params["CN"] = vText(coordinator.name if coordinator is not None else session.board.name)
    return value


def address(user: User, **params: str) -> vCalAddress:
    value = vCalAddress(f"mailto:{user.email}")
    value.params["CN"] = vText(user.name)
    for key, param in params.items():
        value.params[key.replace("_", "-").upper()] = vText(param)
    return value


def session_event(
    session: BoardSession,
    *,
    host: str,
    dtstamp: datetime,
    invitees: Iterable[Invitee] = (),
    cancelled: bool = False,
) -> Event:
    zone = ZoneInfo(session.board.timezone)
    event = Event()
    event.add("uid", uid_for(session, host))
    event.add("dtstamp", dtstamp)
    event.add("dtstart", session.starts_at.astimezone(zone))
    event.add("dtend", session.ends_at.astimezone(zone))
    event.add("sequence", session.sequence)
    event.add("summary", summary_for(session))
    event.add("location", session.room_url)
    event.add("url", session.room_url)
    event.add("description", description_for(session))
    is_cancelled = cancelled or session.status is SessionStatus.CANCELLED
    event.add("status", "CANCELLED" if is_cancelled else "CONFIRMED")
    organizer = organizer_for(session)
    if organizer is not None:
        event.add("organizer", organizer)
    # RSVP=TRUE only when an answer from the calendar reaches the service (RFC 5545 3.2.17).
    rsvp = "TRUE" if service_mailbox() is not None else "FALSE"
    for invitee in invitees:
        event.add(
            "attendee",
            address(
                invitee.user, role=invitee.role, partstat=invitee.partstat, rsvp=rsvp,
                cutype="INDIVIDUAL",
            ),
        )  # fmt: skip
    if not is_cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary_for(session))
        alarm.add("trigger", timedelta(minutes=-15))
        event.add_component(alarm)
    return event


def calendar_bytes(method: str, events: Sequence[Event], name: str | None = None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    if method == "PUBLISH":  # how often subscribed clients should refresh (Outlook, Apple)
        calendar.add("refresh-interval", timedelta(minutes=15), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT15M")
    for event in events:
        calendar.add_component(event)
    # VTIMEZONEs first: clients resolve a TZID from the components before the events.
    zones = [vtimezone(tzid) for tzid in sorted(calendar.get_missing_tzids())]
    calendar.subcomponents[:0] = [zone for zone in zones if zone is not None]
    body: bytes = calendar.to_ical()
    return body


@lru_cache(maxsize=64)
def vtimezone(tzid: str) -> Timezone | None:
    """The VTIMEZONE of an IANA zone, built once per process: icalendar walks every offset
    change from 1970 to 2038 to build one (≈70 ms), which was most of the cost of an invite.
    Calendars only serialise it, never change it, so one copy serves them all."""
    try:
        return Timezone.from_tzid(tzid)
    except ValueError:  # a zone icalendar does not know goes without, as before
        return None


def invite(
    session: BoardSession,
    invitees: Sequence[Invitee],
    *,
    method: str,
    host: str,
    dtstamp: datetime,
) -> bytes:
    """``REQUEST`` (invite or update) or ``CANCEL`` (session cancelled / attendee removed)."""
    event = session_event(
        session, host=host, dtstamp=dtstamp, invitees=invitees, cancelled=method == "CANCEL",
    )  # fmt: skip
    return calendar_bytes(method, [event])


def feed(sessions: Iterable[BoardSession], *, name: str, host: str, dtstamp: datetime) -> bytes:
    """``METHOD:PUBLISH`` feed for subscriptions and downloads (no attendees listed)."""
    events = [session_event(s, host=host, dtstamp=dtstamp) for s in sessions]
    return calendar_bytes("PUBLISH", events, name=name)
