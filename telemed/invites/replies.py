"""Answers given in a calendar client: iTIP ``METHOD:REPLY`` messages (RFC 5546 3.2.3, sent
by email as RFC 6047 says) read from the service mailbox over IMAP.

Invites name the service mailbox (``ITIP_ADDRESS``) as their ORGANIZER, so "Accept" in
Outlook, Gmail or Apple Calendar mails a reply there. The ``read_calendar_replies`` job
reads the unseen messages of ``IMAP_MAILBOX`` and records each answer with
``rsvp.respond``, as the signed links of the email do (audited, ``via="calendar"``).

A reply counts only when it is what the service sent for: a UID the service issued
(``session-<id>@MAIL_DOMAIN``), one ATTENDEE who is the sender of the email (``From``,
case-insensitive) and an active invitee of that session, and the session's current
SEQUENCE, which that attendee was sent. Anything else (unknown UID, another attendee's
address, an answer to an earlier time, an out-of-office note) is logged and left alone.

Each message is kept (committed) on its own and only then flagged ``\\Seen``. A message read
twice (the job stopped between the two) changes nothing the second time: the answer's
moment (its DTSTAMP) becomes ``responded_at``, and a reply no newer than the answer on
record is ignored; so is an older calendar reply read after a newer answer by link.
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import logging
import re
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any

from flask import current_app
from icalendar import Calendar
from sqlalchemy import func, select

from telemed.auth.models import User
from telemed.core import transaction
from telemed.core.errors import DomainError
from telemed.extensions import db
from telemed.invites.rsvp import respond
from telemed.jobs import checkpoint
from telemed.sessions.models import PartStat, SessionAttendee

log = logging.getLogger(__name__)

# Messages read per run; the rest wait for the next one.
REPLY_BATCH = 200
# The answers a reply may carry (DELEGATED and the rest are not answers the board counts).
ANSWERS = {"ACCEPTED": PartStat.ACCEPTED, "TENTATIVE": PartStat.TENTATIVE,
           "DECLINED": PartStat.DECLINED}  # fmt: skip
# Where clients put the calendar: inline (Outlook, Gmail, Apple) and attached (Gmail).
CALENDAR_TYPES = ("text/calendar", "application/ics")
UID_PATTERN = re.compile(r"session-(\d+)@(.+)", re.IGNORECASE)


class Ignored(Exception):
    """A message that records nothing; the reason goes to the log."""


class MailboxUnreachable(ConnectionError):
    """Connecting, securing, logging in to or opening the IMAP mailbox failed."""


@dataclass(frozen=True)
class Reply:
    """What one iTIP reply says: who answered what, for which event and version."""

    sender: str  # the email's From address, lower case
    uid: str
    sequence: int
    attendee: str  # the ATTENDEE's address, lower case
    partstat: str
    dtstamp: datetime | None  # when the client wrote the answer (UTC)


# --- reading one message -------------------------------------------------------------------


def parse_message(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def calendars_in(message: EmailMessage) -> Iterator[bytes]:
    """Every calendar the message carries, inline parts first (the order clients write)."""
    for part in message.walk():
        if part.is_multipart():
            continue
        name = (part.get_filename() or "").lower()
        if part.get_content_type() in CALENDAR_TYPES or name.endswith(".ics"):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and payload.strip():
                yield payload


def mail_address(value: object) -> str:
    """``mailto:Someone@Example.org`` (any case of the scheme) as ``someone@example.org``."""
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    return text.strip().lower()


def read_reply(message: EmailMessage) -> Reply:
    """The iTIP reply in ``message``, or ``Ignored`` saying why there is none."""
    sender = parseaddr(str(message.get("From", "")))[1].strip().lower()
    for body in calendars_in(message):
        try:
            calendar = Calendar.from_ical(body)
        except ValueError:
            continue
        if str(calendar.get("METHOD", "")).strip().upper() != "REPLY":
            continue
        events = calendar.walk("VEVENT")
        if len(events) != 1 or "RECURRENCE-ID" in events[0]:
            raise Ignored("a reply must answer one single event")
        return reply_from(events[0], sender, message)
    raise Ignored("no iTIP reply in the message")


def reply_from(event: Any, sender: str, message: EmailMessage) -> Reply:
    attendees = event.get("ATTENDEE", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    if len(attendees) != 1:  # RFC 5546: a REPLY carries the one attendee who answers
        raise Ignored(f"a reply names {len(attendees)} attendees")
    (attendee,) = attendees
    try:
        sequence = int(event.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        raise Ignored("an unreadable SEQUENCE") from None
    return Reply(
        sender=sender,
        uid=str(event.get("UID", "")).strip(),
        sequence=sequence,
        attendee=mail_address(attendee),
        partstat=str(attendee.params.get("PARTSTAT", "")).strip().upper(),
        dtstamp=stamp_of(event, message),
    )


def stamp_of(event: Any, message: EmailMessage) -> datetime | None:
    """The reply's DTSTAMP in UTC; else the email's Date; else unknown."""
    try:
        value = event.decoded("DTSTAMP")
    except (KeyError, ValueError):
        value = None
    if not isinstance(value, datetime):
        try:
            value = parsedate_to_datetime(str(message.get("Date", "")))
        except (TypeError, ValueError):
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# --- recording it --------------------------------------------------------------------------


def attendee_for(reply: Reply) -> SessionAttendee:
    """The invitee the reply is for, or ``Ignored`` when it is not one the service asked."""
    match = UID_PATTERN.fullmatch(reply.uid)
    domain = str(current_app.config["MAIL_DOMAIN"]).lower()
    if match is None or match.group(2).lower() != domain:
        raise Ignored(f"a UID this service did not issue ({reply.uid!r})")
    if not reply.sender or reply.attendee != reply.sender:
        raise Ignored("the ATTENDEE is not the sender of the email")
    attendee = db.session.scalar(
        select(SessionAttendee)
        .join(User, User.id == SessionAttendee.user_id)
        .where(
            SessionAttendee.session_id == int(match.group(1)),
            func.lower(User.email) == reply.attendee,
        )
    )
    if attendee is None:
        raise Ignored(f"{reply.uid}: the sender is not invited")
    if not attendee.active or not attendee.user.active:
        raise Ignored(f"{reply.uid}: user {attendee.user_id} is no longer invited")
    return attendee


def record_reply(reply: Reply) -> SessionAttendee:
    """Record ``reply`` as the invitee's answer (in the caller's transaction)."""
    attendee = attendee_for(reply)
    session = attendee.session
    if reply.sequence < session.sequence:
        raise Ignored(f"{reply.uid}: answers SEQUENCE {reply.sequence}, now {session.sequence}")
    if reply.sequence > min(session.sequence, attendee.sent_sequence):
        raise Ignored(f"{reply.uid}: SEQUENCE {reply.sequence} was never sent to this attendee")
    partstat = ANSWERS.get(reply.partstat)
    if partstat is None:
        raise Ignored(f"{reply.uid}: PARTSTAT {reply.partstat or 'missing'} is not an answer")
    answered = attendee.responded_at
    if reply.dtstamp is not None and answered is not None and reply.dtstamp <= answered:
        raise Ignored(f"{reply.uid}: user {attendee.user_id} answered since (or already read)")
    try:
        respond(attendee, partstat, attendee.user, "calendar", at=reply.dtstamp)
    except DomainError as refused:
        raise Ignored(f"{reply.uid}: {refused}") from None
    log.info("calendar reply recorded: %s user %s %s", reply.uid, attendee.user_id, partstat.value)
    return attendee


def handle(raw: bytes) -> bool:
    """Read one message and record its answer; returns whether an answer was recorded."""
    try:
        record_reply(read_reply(parse_message(raw)))
    except Ignored as reason:
        log.warning("calendar reply ignored: %s", reason)
        return False
    return True


# --- the mailbox ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    security: str  # ssl, starttls or none
    username: str
    password: str
    mailbox: str
    timeout: float


def mailbox_settings(config: Mapping[str, Any]) -> MailboxSettings | None:
    """The IMAP mailbox to read, or ``None`` when answers by calendar are not set up."""
    address, host = config.get("ITIP_ADDRESS"), config.get("IMAP_HOST")
    if not address or not host:
        return None
    security = str(config.get("IMAP_SECURITY") or "ssl").lower()
    port = int(config.get("IMAP_PORT") or 0) or (993 if security == "ssl" else 143)
    return MailboxSettings(
        host=str(host), port=port, security=security,
        username=str(config.get("IMAP_USERNAME") or address),
        password=str(config.get("IMAP_PASSWORD") or ""),
        mailbox=str(config.get("IMAP_MAILBOX") or "INBOX"),
        timeout=float(config.get("IMAP_TIMEOUT") or 30),
    )  # fmt: skip


def quoted(name: str) -> str:
    """A mailbox name as an IMAP quoted string (names may hold spaces)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextmanager
def open_mailbox(settings: MailboxSettings) -> Iterator[imaplib.IMAP4]:
    """Logged in, with the mailbox selected read-write; certificates are verified."""
    try:
        if settings.security == "ssl":
            imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                settings.host, settings.port, ssl_context=ssl.create_default_context(),
                timeout=settings.timeout,
            )  # fmt: skip
        else:
            imap = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
            if settings.security == "starttls":
                imap.starttls(ssl.create_default_context())
    except (OSError, imaplib.IMAP4.error) as error:
        raise MailboxUnreachable(f"IMAP {settings.host}:{settings.port}: {error}") from error
    try:
        try:
            imap.login(settings.username, settings.password)
            status, _data = imap.select(quoted(settings.mailbox))
        except (OSError, imaplib.IMAP4.error) as error:
            raise MailboxUnreachable(f"IMAP {settings.host}: {error}") from error
        if status != "OK":
            raise MailboxUnreachable(f"IMAP {settings.host}: no mailbox {settings.mailbox!r}")
        yield imap
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            imap.logout()


def unseen(imap: imaplib.IMAP4) -> list[bytes]:
    """The unseen messages' UIDs, oldest first."""
    status, data = imap.uid("SEARCH", "UNSEEN")
    if status != "OK" or not data or not data[0]:
        return []
    return sorted(data[0].split(), key=int)


def fetch(imap: imaplib.IMAP4, uid: bytes) -> bytes | None:
    """The whole message, without setting ``\\Seen`` (that waits for the commit)."""
    status, data = imap.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None  # expunged meanwhile


def mark_seen(imap: imaplib.IMAP4, uid: bytes) -> None:
    imap.uid("STORE", uid.decode(), "+FLAGS.SILENT", "(\\Seen)")


def read_replies(limit: int = REPLY_BATCH) -> int:
    """Record the answers waiting in the service mailbox; returns how many were recorded.

    Each message's answer is committed on its own, then the message is flagged ``\\Seen``;
    a message whose recording fails unexpectedly stays unseen and is tried again next run.
    Does nothing when no mailbox is configured."""
    settings = mailbox_settings(current_app.config)
    if settings is None:
        return 0
    recorded = 0
    with open_mailbox(settings) as imap:
        for uid in unseen(imap)[:limit]:
            if checkpoint.should_stop():  # the messages read so far are kept; the rest wait
                break
            raw = fetch(imap, uid)
            if raw is None:
                continue
            try:
                answered = handle(raw)
                transaction.commit_chunk()
            except Exception:  # one broken message must not hold up the others
                transaction.rollback()
                log.exception("calendar reply %s could not be recorded", uid.decode())
                continue
            mark_seen(imap, uid)
            recorded += answered
    return recorded
