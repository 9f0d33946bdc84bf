"""The email that final minutes are ready: a link only, never their content (the minutes
name cases; the email names the board, the session and its date)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select

from telemed.auth.models import User
from telemed.extensions import db
from telemed.outbox.notify import notify
from telemed.room.models import Attendance
from telemed.sessions.models import BoardSession


def recipients(session: BoardSession) -> list[User]:
    """Present attendees with an account and the board's members, once each, active only."""
    people: dict[int, User] = {}
    attended = db.session.scalars(
        select(User)
        .join(Attendance, Attendance.user_id == User.id)
        .where(Attendance.session_id == session.id, Attendance.present.is_(True))
        .order_by(User.id)
    )
    for user in attended:
        people[user.id] = user
    for member in session.board.members:
        people.setdefault(member.user_id, member.user)
    return [user for user in people.values() if user.active]


def session_date(session: BoardSession) -> date:
    start = session.started_at or session.starts_at
    return start.astimezone(ZoneInfo(session.board.timezone)).date()


def minutes_final(session: BoardSession, user: User) -> None:
    notify(
        "minutes_final",
        user,
        f"minutes-final:{session.id}:{user.id}",
        session=session,
        day=session_date(session),
    )
