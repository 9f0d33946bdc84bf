"""Calendar feeds: a private feed per user (secret URL), public board feeds, downloads.

The private feed URL carries a random token; only its SHA-256 is stored, like API tokens,
so the URL can be shown once (right after it is made) and regenerating it revokes the old
one. Feeds are ``METHOD:PUBLISH`` snapshots built with :mod:`telemed.invites.ical`: case
codes and links only.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, exists, not_, or_, select

from telemed.audit import service as audit
from telemed.auth.models import User
from telemed.boards.models import Board, BoardMember, SessionKind
from telemed.cases.models import Case
from telemed.core.clock import now_utc
from telemed.core.links import external_url
from telemed.extensions import db
from telemed.invites import event_cache, ical
from telemed.invites.models import CalendarFeed
from telemed.sessions.models import (
    AGENDA_OUTCOMES,
    AgendaItem,
    BoardSession,
    SessionAttendee,
    SessionStatus,
)

# How far back a feed reaches; subscribers keep what scrolled out of it.
PAST_DAYS = 90
PUBLIC_KINDS = (SessionKind.TRAINING, SessionKind.KEYNOTE)
# Agenda entries that make a referring doctor an attendee (as the invite sync sees them).
ATTENDING_OUTCOMES = AGENDA_OUTCOMES


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(token: str) -> str:
    return external_url("feeds.private_feed", token=token)


def board_feed_url(board: Board) -> str:
    return external_url("feeds.board_feed", board_id=board.id)


def webcal(url: str) -> str:
    """The same URL with the scheme calendar apps open as "subscribe"."""
    return "webcal://" + url.split("://", 1)[-1]


# --- private feed tokens ----------------------------------------------------------------


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.get(CalendarFeed, user.id)


def regenerate(user: User) -> str:
    """A new secret feed token for ``user`` (returned once); any previous URL stops working."""
    token = secrets.token_urlsafe(32)
    feed = feed_of(user)
    creating = feed is None
    if feed is None:
        feed = CalendarFeed(user_id=user.id)
        db.session.add(feed)
    feed.token_hash = hash_token(token)
    feed.created_at = now_utc()
    audit.record(user, "feed.create" if creating else "feed.regenerate", "user", user.id)
    db.session.flush()
    return token


def user_for_token(token: str) -> User | None:
    """The active owner of a feed token, or ``None`` (unknown, revoked, inactive user)."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token_hash == hash_token(token), User.active.is_(True))
    )


# --- which sessions ---------------------------------------------------------------------


def window_clause(user_zone: str, now: datetime) -> ColumnElement[bool]:
    """From 90 days before today (whole days on the user's clock) onward; cancelled
    sessions only while they are today or later. It moves only at the user's midnight."""
    today = now.astimezone(ZoneInfo(user_zone)).replace(hour=0, minute=0, second=0, microsecond=0)
    return and_(
        BoardSession.starts_at >= today - timedelta(days=PAST_DAYS),
        not_(and_(BoardSession.status == SessionStatus.CANCELLED, BoardSession.starts_at < today)),
    )


def invited_clause(user: User) -> ColumnElement[bool]:
    """Sessions the user is invited to: their active attendee rows.

    Until the invite sync has caught up with a session (never synced, or changed since),
    or when it has no attendee rows at all (cancelled before its first sync), the user's
    board membership and their own cases on its agenda stand in for a row they do not have
    yet, so a new feed is never empty and a cancelled session still shows as cancelled.
    """
    rows = select(SessionAttendee.id).where(SessionAttendee.session_id == BoardSession.id)
    invited = rows.where(SessionAttendee.user_id == user.id, SessionAttendee.active.is_(True))
    has_row = rows.where(SessionAttendee.user_id == user.id)
    sync_due = or_(
        BoardSession.invites_roster != BoardSession.roster_version,
        BoardSession.invites_sequence != BoardSession.sequence,
        not_(rows.exists()),
    )
    member = exists().where(
        BoardMember.board_id == BoardSession.board_id, BoardMember.user_id == user.id
    )
    own_case = exists().where(
        AgendaItem.session_id == BoardSession.id,
        AgendaItem.outcome.in_(ATTENDING_OUTCOMES),
        AgendaItem.case_id == Case.id,
        Case.submitted_by_id == user.id,
    )
    stand_in = and_(not_(has_row.exists()), sync_due, or_(member, own_case))
    return or_(invited.exists(), stand_in)


def user_stamps(user: User, now: datetime | None = None) -> list[event_cache.Stamp]:
    """The stamps of the sessions of the user's private feed (``invited_clause``), 90 days
    back onward, in one query: enough to tag the feed, and to build it from stored events."""
    return event_cache.stamps_where(
        invited_clause(user), window_clause(user.display_timezone, now or now_utc())
    )


def feed_tag(stamps: list[event_cache.Stamp]) -> str:
    """The private feed's entity tag without building it (call it in the user's language):
    its sessions' stamps, its name and the environment its events are built in. It moves
    exactly when the feed's text would (DTSTAMP aside, which only says when it was made)."""
    environment = event_cache.environment(ical.PLAIN)
    return event_cache.digest(environment, stamps, "private", feed_name())[:32]


def public_sessions(board: Board, now: datetime | None = None) -> list[BoardSession]:
    """A board's training and keynote sessions, 90 days back onward."""
    now = now or now_utc()
    query = (
        select(BoardSession)
        .where(BoardSession.board_id == board.id, BoardSession.kind.in_(PUBLIC_KINDS))
        .where(window_clause(board.timezone, now))
        .order_by(BoardSession.starts_at, BoardSession.id)
    )
    return list(db.session.scalars(query))


# --- calendars --------------------------------------------------------------------------


def calendar_for(sessions: list[BoardSession], name: str, *, topics: bool = False) -> bytes:
    """``METHOD:PUBLISH`` bytes; ``topics`` puts a training's topic and speaker in SUMMARY."""
    return calendar_from(event_cache.stamps_of(sessions), name, topics=topics)


def calendar_from(stamps: list[event_cache.Stamp], name: str, *, topics: bool = False) -> bytes:
    """The calendar of the stamped sessions, assembled from their stored events."""
    events = event_cache.events_of(stamps, ical.TOPICS if topics else ical.PLAIN)
    dtstamp = ical.dtstamp_text(now_utc())
    tzids = {tzid for event in events for tzid in event.tzids}
    return ical.calendar_text(
        "PUBLISH", [event.block(dtstamp) for event in events], tzids, name=name
    )


def feed_name() -> str:
    return _("Tumour board sessions")


def user_calendar(user: User, stamps: list[event_cache.Stamp] | None = None) -> bytes:
    """The private feed (call it in the user's language); ``stamps`` if already read."""
    return calendar_from(user_stamps(user) if stamps is None else stamps, feed_name())


def board_calendar(board: Board) -> bytes:
    return calendar_for(public_sessions(board), board.name, topics=True)


def session_calendar(session: BoardSession) -> bytes:
    """One session for a download (no attendees listed)."""
    return calendar_for([session], ical.summary_for(session))


def content_tag(body: bytes) -> str:
    """An entity tag that ignores DTSTAMP (which only says when the bytes were made)."""
    lines = [line for line in body.splitlines() if not line.startswith(b"DTSTAMP")]
    return hashlib.sha256(b"\n".join(lines)).hexdigest()[:32]
