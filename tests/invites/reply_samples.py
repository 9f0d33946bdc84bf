"""Replies written as Outlook, Gmail and Apple Calendar write them (``tests/invites/replies``),
filled in for a session and an attendee."""

from __future__ import annotations

import base64
import itertools
import quopri
from datetime import datetime
from email.utils import format_datetime, formataddr
from pathlib import Path
from string import Template
from zoneinfo import ZoneInfo

from telemed.auth.models import User
from telemed.sessions.models import BoardSession
from tests.invites.helpers import HOST

SAMPLES = Path(__file__).parent / "replies"
TEXTS = {
    "outlook": "{name} aceptó la reunión.",
    "gmail": "{email} ha respondido a esta invitación.\nInvitación de Google Calendar",
    "apple": "{name} respondió a la invitación.",
    "out_of_office": "Estaré fuera de la oficina hasta el lunes. Sin acceso al correo.",
}
_numbers = itertools.count(1000)


def fold(line: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets go on with CRLF and a space (as clients
    write them), never inside a UTF-8 character."""
    data = line.encode("utf-8")
    pieces, limit = [], 75
    while len(data) > limit:
        cut = limit
        while data[cut] & 0xC0 == 0x80:  # a continuation byte: cut before its character
            cut -= 1
        pieces.append(data[:cut])
        data, limit = data[cut:], 74
    pieces.append(data)
    return b"\r\n ".join(pieces).decode("utf-8")


def ical_time(moment: datetime, zone: str | None = None) -> str:
    if zone is None:
        return moment.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y%m%dT%H%M%S")


def encoded(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii").rstrip("\n")


def reply_email(
    client: str,
    session: BoardSession,
    user: User,
    *,
    dtstamp: datetime,
    partstat: str = "ACCEPTED",
    sequence: int | None = None,
    uid: str | None = None,
    sender: str | None = None,
    attendee: str | None = None,
    organizer: str = "itip@telemed.test",
) -> bytes:
    """The ``client``'s reply (``outlook``, ``gmail``, ``apple``, ``out_of_office``) by
    ``user`` to ``session``; ``sender`` and ``attendee`` change the From address and the
    ATTENDEE address (forgeries), ``sequence`` and ``uid`` the event answered."""
    zone = session.board.timezone
    coordinator = session.board.coordinator
    organizer_name = coordinator.name if coordinator is not None else session.board.name
    from_email = sender or user.email
    fields = {
        "UID": uid or f"session-{session.id}@{HOST}",
        "SEQUENCE": str(session.sequence if sequence is None else sequence),
        "PARTSTAT": partstat,
        "ATTENDEE_EMAIL": attendee or user.email,
        "ATTENDEE_NAME": user.name,
        "ORGANIZER_EMAIL": organizer,
        "ORGANIZER_NAME": organizer_name,
        "ORGANIZER": formataddr((organizer_name, organizer), charset="utf-8"),
        "DTSTAMP": ical_time(dtstamp),
        "DTSTART_UTC": ical_time(session.starts_at),
        "DTEND_UTC": ical_time(session.ends_at),
        "DTSTART_LOCAL": ical_time(session.starts_at, zone),
        "DTEND_LOCAL": ical_time(session.ends_at, zone),
        "FROM": formataddr((user.name, from_email), charset="utf-8"),
        "FROM_EMAIL": from_email,
        "DATE": format_datetime(dtstamp),
        "MESSAGE_NUMBER": str(next(_numbers)),
    }
    text = TEXTS[client].format(name=user.name, email=from_email).replace("\n", "\r\n")
    fields["TEXT_BASE64"] = encoded(text.encode("utf-8"))
    calendar_file = SAMPLES / f"{client}.ics"
    if calendar_file.exists():
        lines = Template(calendar_file.read_text("utf-8")).substitute(fields).splitlines()
        calendar = "\r\n".join(fold(line) for line in lines) + "\r\n"
        fields["CALENDAR"] = calendar.rstrip("\r\n")
        fields["CALENDAR_BASE64"] = encoded(calendar.encode("utf-8"))
        lf_lines = calendar.replace("\r\n", "\n").encode("utf-8")  # CRLF again below
        fields["CALENDAR_QP"] = quopri.encodestring(lf_lines).decode("ascii").rstrip("\n")
    message = Template((SAMPLES / f"{client}.eml").read_text("utf-8")).substitute(fields)
    return message.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
