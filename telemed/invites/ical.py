"""Sessions as iCalendar bytes (RFC 5545) for iTIP invites (RFC 5546) and feeds.

Takes the session and the people, returns bytes (links come from the app's URL map at the
configured address). The ORGANIZER is the service mailbox (``ITIP_ADDRESS``) under the
coordinator's name when one is configured, so "Accept" in a calendar client reaches
``invites.replies``; without one the coordinator organises and every ATTENDEE says
``RSVP=FALSE`` (answers go by the email's links). Times carry the board's TZID with a
matching VTIMEZONE, which Outlook, Google and Apple all resolve. Only case codes and links
ever go into the text: no patient data.

A session's event is built once (``event_parts``) and kept as text without the parts that
differ per calendar (DTSTAMP, the ATTENDEE lines); calendars are assembled from such parts
(``calendar_text``), so a feed of a thousand sessions or a thousand invitations serialise
nothing twice (``invites.event_cache`` stores the parts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vText
from icalendar.parser import Contentline

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
    cancelled: bool = False,
) -> Event:
    """The event every reader shares (attendees are added per calendar: ``attendee_line``)."""
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
    if not is_cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary_for(session))
        alarm.add("trigger", timedelta(minutes=-15))
        event.add_component(alarm)
    return event


@dataclass(frozen=True)
class EventParts:
    """A session's VEVENT as text, less what differs per calendar: ``properties`` (folded
    content lines, no DTSTAMP and no ATTENDEE), ``alarm`` (its VALARM, or empty) and the
    TZIDs its times name. Stored by ``invites.event_cache`` and shared by every reader."""

    properties: str
    alarm: str
    tzids: tuple[str, ...]

    def block(self, dtstamp: str, attendees: str = "") -> str:
        """The whole VEVENT; ``dtstamp`` from ``dtstamp_text``, ``attendees`` ATTENDEE content
        lines (``attendee_line``). Properties come before the VALARM (RFC 5545 3.6.1)."""
        return (
            f"BEGIN:VEVENT\r\nDTSTAMP:{dtstamp}\r\n{self.properties}{attendees}{self.alarm}"
            "END:VEVENT\r\n"
        )


def dtstamp_text(moment: datetime) -> str:
    """A DTSTAMP value: UTC, as icalendar writes it."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


# The variants of a session's event: feeds and REQUESTs, the public board feed (topic and
# speaker in SUMMARY), and a CANCEL sent to someone no longer invited.
PLAIN, TOPICS, CANCEL = "plain", "topics", "cancel"
VARIANTS = (PLAIN, TOPICS, CANCEL)
PLACEHOLDER_STAMP = datetime(1970, 1, 1, tzinfo=UTC)
ALARM_START = "BEGIN:VALARM\r\n"


def topic_summary(session: BoardSession) -> str:
    """A training's SUMMARY in the public feed: what it is about and who speaks first."""
    if not session.topic:
        return summary_for(session)
    if session.speaker:
        return f"{session.topic} · {session.speaker} ({summary_for(session)})"
    return f"{session.topic} ({summary_for(session)})"


def event_parts(session: BoardSession, *, host: str, variant: str = PLAIN) -> EventParts:
    """Build the session's event once in the current language and cut it into the parts
    every calendar shares."""
    event = session_event(session, host=host, dtstamp=PLACEHOLDER_STAMP,
                          cancelled=variant == CANCEL)  # fmt: skip
    if variant == TOPICS:
        event["summary"] = vText(topic_summary(session))
    holder = Calendar()
    holder.add_component(event)
    tzids = tuple(sorted(holder.get_missing_tzids()))
    text = event.to_ical().decode("utf-8")
    stamp_line = "DTSTAMP:19700101T000000Z\r\n"
    body = text.removeprefix("BEGIN:VEVENT\r\n").removesuffix("END:VEVENT\r\n")
    body = body.replace(stamp_line, "", 1)
    # A component begins at a line's start, never inside a folded (space-led) line.
    cut = body.find("\r\n" + ALARM_START)
    if cut < 0:
        return EventParts(body, "", tzids)
    return EventParts(body[: cut + 2], body[cut + 2 :], tzids)


def rsvp_value() -> str:
    """RSVP=TRUE only when an answer from the calendar reaches the service (RFC 5545 3.2.17)."""
    return "TRUE" if service_mailbox() is not None else "FALSE"


def attendee_line(invitee: Invitee, rsvp: str) -> str:
    """One folded ATTENDEE content line (a calendar adds one per person it lists)."""
    value = address(invitee.user, role=invitee.role, partstat=invitee.partstat, rsvp=rsvp,
                    cutype="INDIVIDUAL")  # fmt: skip
    line: bytes = Contentline.from_parts("ATTENDEE", value.params, value).to_ical()
    return line.decode("utf-8") + "\r\n"


def calendar_text(
    method: str, events: Iterable[str], tzids: Iterable[str], name: str | None = None
) -> bytes:
    """A VCALENDAR around VEVENT blocks (``EventParts.block``), with the VTIMEZONE of each
    TZID first: clients resolve a TZID from the components before the events."""
    zones = "".join(zone_text(tzid) for tzid in sorted(set(tzids)))
    return f"{calendar_head(method, name)}{zones}{''.join(events)}END:VCALENDAR\r\n".encode()


@lru_cache(maxsize=256)
def calendar_head(method: str, name: str | None) -> str:
    """BEGIN:VCALENDAR and its properties (built once per method and name)."""
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
    head: str = calendar.to_ical().decode("utf-8")
    return head.removesuffix("END:VCALENDAR\r\n")


@lru_cache(maxsize=64)
def zone_text(tzid: str) -> str:
    """The serialised VTIMEZONE of a zone (empty for a zone icalendar does not know)."""
    zone = vtimezone(tzid)
    return zone.to_ical().decode("utf-8") if zone is not None else ""


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
    parts: EventParts | None = None,
) -> bytes:
    """``REQUEST`` (invite or update) or ``CANCEL`` (session cancelled / attendee removed);
    ``parts``: the session's event already built (stored) for this method's variant."""
    if parts is None:
        parts = event_parts(session, host=host, variant=CANCEL if method == "CANCEL" else PLAIN)
    rsvp = rsvp_value()
    attendees = "".join(attendee_line(invitee, rsvp) for invitee in invitees)
    return calendar_text(method, [parts.block(dtstamp_text(dtstamp), attendees)], parts.tzids)


def feed(sessions: Iterable[BoardSession], *, name: str, host: str, dtstamp: datetime) -> bytes:
    """``METHOD:PUBLISH`` feed for subscriptions and downloads (no attendees listed)."""
    parts = [event_parts(s, host=host) for s in sessions]
    tzids = [tzid for part in parts for tzid in part.tzids]
    stamp = dtstamp_text(dtstamp)
    return calendar_text("PUBLISH", [part.block(stamp) for part in parts], tzids, name=name)
