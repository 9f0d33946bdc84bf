"""Who reads the minutes of a session: whoever may enter its room (the session's rule)."""

from __future__ import annotations

from sqlalchemy import Select, select

from telemed.auth.models import User
from telemed.minutes.models import Minutes
from telemed.sessions.access import can_enter_room, require_room, visible_session_ids
from telemed.sessions.models import BoardSession


def visible_minutes(user: User) -> Select[Minutes]:
    """Minutes of the sessions ``user`` may see."""
    query = select(Minutes)
    if user.is_staff:
        return query
    return query.where(Minutes.session_id.in_(visible_session_ids(user)))


def can_read_minutes(user: User, session: BoardSession) -> bool:
    return can_enter_room(user, session)


def require_reader(user: User, session: BoardSession) -> None:
    """Hidden minutes answer 404, as their session does."""
    require_room(user, session)
