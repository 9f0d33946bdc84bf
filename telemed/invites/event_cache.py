"""Each session's VEVENT stored once per variant and language (``calendar_events``), and the
stamps that say whether a stored one, or a whole feed a client holds, is still true.

A session's *stamp* is everything its event shows that lives on its row, its board and its
coordinator (``STAMP_COLUMNS``: times, status, ``sequence``, ``agenda_version``, room, topic,
names), read in one query for a whole feed. A stored event is used only while its
fingerprint (the stamp and the *environment*: the language, the service's address and
mailbox, the translations and this code, found by building a fixed probe once per process
and setting) matches. The rest an event shows lives in agenda entries, whose every change
grows ``agenda_version`` (``sessions.agenda_version``). So no write anywhere has to remember
to forget a stored event: the next reader finds another fingerprint and builds it again.

What is stored is shared by every reader of the session in that language: no attendee, no
DTSTAMP (``ical.EventParts``). Who may read which session is decided before (the feed's
query, the invitations' attendee rows), never here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import ColumnElement, Row, String, cast, select, type_coerce
from sqlalchemy.orm import aliased, selectinload

from telemed.auth.models import User
from telemed.boards.models import Board, SessionKind
from telemed.core.sql import insert, plain_rows
from telemed.extensions import db
from telemed.invites import ical
from telemed.invites.models import CalendarEvent
from telemed.sessions.models import AgendaItem, BoardSession, SessionStatus

PROBES_KEY = "telemed.calendar_probes"
CHUNK = 500  # rows per write (SQLite's and PostgreSQL's parameter limits)
READ_CHUNK = 1000  # ids per read
Coordinator = aliased(User, name="coordinator")
# Everything an event shows that lives on the session, its board and its coordinator. Times
# and enums are read as text: a stamp is only compared, and turning a thousand rows into
# aware datetimes and enum members (and writing those out again) was most of a 304's time.
STAMP_COLUMNS = (
    BoardSession.id, BoardSession.sequence, BoardSession.agenda_version,
    type_coerce(BoardSession.status, String()), type_coerce(BoardSession.kind, String()),
    cast(BoardSession.starts_at, String()), cast(BoardSession.ends_at, String()),
    BoardSession.number, BoardSession.room_url, BoardSession.topic, BoardSession.speaker,
    Board.name, Board.timezone, Coordinator.name, Coordinator.email,
)  # fmt: skip


Stamp = Row[*tuple[Any, ...]]


def stamps_where(*criteria: ColumnElement[bool]) -> list[Stamp]:
    """The stamps of the sessions ``criteria`` select, in calendar order (one query, on the
    connection: a thousand plain rows without the ORM's result handling)."""
    query = (
        select(*STAMP_COLUMNS)
        .join(Board, Board.id == BoardSession.board_id)
        .outerjoin(Coordinator, Coordinator.id == Board.coordinator_id)
        .where(*criteria)
        .order_by(BoardSession.starts_at, BoardSession.id)
    )
    return plain_rows(query)


def stamps_of(sessions: Sequence[BoardSession]) -> list[Stamp]:
    """The stamps of these sessions as the database holds them now (pending changes are
    flushed first), in the order given."""
    ids = [session.id for session in sessions]
    found: dict[int, Stamp] = {}
    for start in range(0, len(ids), READ_CHUNK):
        rows = stamps_where(BoardSession.id.in_(ids[start : start + READ_CHUNK]))
        found.update((row[0], row) for row in rows)
    return [found[session_id] for session_id in ids if session_id in found]


def language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def environment(variant: str) -> str:
    """A digest of how events are built here and now: a fixed probe session (a case review
    and a training) built in the current language with the current settings. It moves with
    the translations, the service's address, mailbox and domain, and this code."""
    config = current_app.config
    settings = tuple(
        str(config.get(name))
        for name in ("MAIL_DOMAIN", "SERVER_NAME", "PREFERRED_URL_SCHEME", "APPLICATION_ROOT",
                     "ITIP_ADDRESS", "IMAP_HOST")
    )  # fmt: skip
    key = (language(), variant, settings)
    probes: dict[tuple[Any, ...], str] = current_app.extensions.setdefault(PROBES_KEY, {})
    if key not in probes:
        digest = hashlib.sha256(repr(key).encode())
        for probe in probe_sessions():
            parts = ical.event_parts(probe, host=str(config["MAIL_DOMAIN"]), variant=variant)
            digest.update(repr(parts).encode())
        probes[key] = digest.hexdigest()
    return probes[key]


def probe_sessions() -> list[BoardSession]:
    """Unsaved sessions with every field an event shows (never added to the database)."""
    coordinator = User(id=0, name="Probe", email="probe@example.invalid")
    board = Board(id=0, name="Probe", timezone="America/Mexico_City", coordinator=coordinator)
    starts = datetime(2026, 1, 1, 18, tzinfo=UTC)
    return [
        BoardSession(
            id=0,
            board=board,
            number=1,
            kind=kind,
            status=SessionStatus.PLANNED,
            sequence=0,
            agenda_version=0,
            starts_at=starts,
            ends_at=starts,
            room_url="https://example.invalid/",
            topic="Topic",
            speaker="Speaker",
            order_of_business=None,
            items=[],
        )
        for kind in (SessionKind.CASE_REVIEW, SessionKind.TRAINING)
    ]


def digest(environment_digest: str, stamps: Iterable[Stamp], *extra: str) -> str:
    """A digest of stamps (rows of plain text and numbers, as ``STAMP_COLUMNS`` reads them):
    the same state always gives the same digest."""
    value = hashlib.sha256(environment_digest.encode())
    for part in extra:
        value.update(part.encode())
    value.update(repr([tuple(one) for one in stamps]).encode())
    return value.hexdigest()


def events_of(stamps: Sequence[Stamp], variant: str) -> list[ical.EventParts]:
    """Each stamped session's event in the current language, in the stamps' order: stored
    when its fingerprint matches, else built (from the session as the database holds it)
    and stored."""
    lang = language()
    environment_digest = environment(variant)
    expected = {row[0]: digest(environment_digest, [row]) for row in stamps}
    stored = stored_events(list(expected), variant, lang)
    found: dict[int, ical.EventParts] = {}
    for session_id, fingerprint in expected.items():
        row = stored.get(session_id)
        if row is not None and row[0] == fingerprint:
            found[session_id] = ical.EventParts(row[1], row[2], tuple(row[3].split()))
    missing = [session_id for session_id in expected if session_id not in found]
    if missing:
        host = str(current_app.config["MAIL_DOMAIN"])
        built = []
        for session in sessions_to_build(missing):
            parts = found[session.id] = ical.event_parts(session, host=host, variant=variant)
            built.append({
                "session_id": session.id, "variant": variant, "language": lang,
                "fingerprint": expected[session.id], "properties": parts.properties,
                "alarm": parts.alarm, "tzids": " ".join(parts.tzids),
            })  # fmt: skip
        store(built)
    return [found[row[0]] for row in stamps]


def stored_events(ids: list[int], variant: str, lang: str) -> dict[int, tuple[str, ...]]:
    """(fingerprint, properties, alarm, tzids) of the stored events of ``ids``."""
    stored: dict[int, tuple[str, ...]] = {}
    for start in range(0, len(ids), READ_CHUNK):
        rows = plain_rows(
            select(CalendarEvent.session_id, CalendarEvent.fingerprint, CalendarEvent.properties,
                   CalendarEvent.alarm, CalendarEvent.tzids)
            .where(CalendarEvent.session_id.in_(ids[start : start + READ_CHUNK]),
                   CalendarEvent.variant == variant, CalendarEvent.language == lang)
        )  # fmt: skip
        stored.update((row[0], (row[1], row[2], row[3], row[4])) for row in rows)
    return stored


def sessions_to_build(ids: list[int]) -> list[BoardSession]:
    """The sessions as the database holds them (``populate_existing``: an object loaded
    earlier in the transaction may predate a bulk write), their agenda entries in one
    query per chunk rather than one per session."""
    sessions: list[BoardSession] = []
    for start in range(0, len(ids), READ_CHUNK):
        sessions.extend(
            db.session.scalars(
                select(BoardSession)
                .where(BoardSession.id.in_(ids[start : start + READ_CHUNK]))
                .options(selectinload(BoardSession.items).lazyload(AgendaItem.case))
                .execution_options(populate_existing=True)
            )
        )
    return sessions


def store(rows: list[dict[str, Any]]) -> None:
    """Write built events over what was stored (in session order, so two writers lock rows
    in the same order)."""
    rows.sort(key=lambda row: row["session_id"])
    for start in range(0, len(rows), CHUNK):
        statement = insert(CalendarEvent.__table__).values(rows[start : start + CHUNK])
        columns = ("fingerprint", "properties", "alarm", "tzids")
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["session_id", "variant", "language"],
                set_={name: statement.excluded[name] for name in columns},
            )
        )
