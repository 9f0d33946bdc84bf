"""Who may see which session, and who may enter its room or run it.

Every door (pages, API, feeds, room, minutes) goes through here."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, select

from telemed.auth.models import Role, User
from telemed.boards.models import Board
from telemed.boards.service import is_member
from telemed.cases.models import Case
from telemed.core.errors import Forbidden, NotFound
from telemed.extensions import db
from telemed.sessions.models import (
    AGENDA_OUTCOMES,
    AgendaItem,
    BoardSession,
    SessionAttendee,
)

# Agenda entries that make a session "the session of my case" for a referring doctor.
KEPT_OUTCOMES = AGENDA_OUTCOMES


def centre_sessions(user: User) -> Any:
    """Ids of sessions with a case of the user's centre on their agenda (a subquery)."""
    return (
        select(AgendaItem.session_id)
        .join(Case, Case.id == AgendaItem.case_id)
        .where(Case.centre_id == user.centre_id, AgendaItem.outcome.in_(KEPT_OUTCOMES))
    )


def is_invited(user: User, session: BoardSession) -> bool:
    """Whether ``user`` is an active invitee (e.g. the audience of a training session)."""
    found = db.session.scalar(
        select(SessionAttendee.id).where(
            SessionAttendee.session_id == session.id,
            SessionAttendee.user_id == user.id,
            SessionAttendee.active.is_(True),
        )
    )
    return found is not None


def can_view_session(user: User, session: BoardSession) -> bool:
    """Staff, board members, referring doctors with a case on the agenda, and invitees."""
    if user.is_staff or is_member(user, session.board_id) or is_invited(user, session):
        return True
    if user.role is Role.REFERRING and user.centre_id is not None:
        query = centre_sessions(user).where(AgendaItem.session_id == session.id)
        return db.session.scalar(select(exists(query))) or False
    return False


def visible_session_ids(user: User, board: Board) -> set[int] | None:
    """``None`` when the user sees every session of the board, else the ids they see."""
    if user.is_staff or is_member(user, board.id):
        return None
    if user.role is Role.REFERRING and user.centre_id is not None:
        query = centre_sessions(user).join(BoardSession).where(BoardSession.board_id == board.id)
        return set(db.session.scalars(query))
    return set()


def can_enter_room(user: User, session: BoardSession) -> bool:
    return can_view_session(user, session)


def require_room(user: User, session: BoardSession) -> None:
    """Hidden rooms are 404, as hidden cases are: existence never leaks."""
    if not can_enter_room(user, session):
        raise NotFound("session not found")


def can_run_session(user: User, session: BoardSession) -> bool:
    """Coordinators, administrators and the board's members (specialists)."""
    return user.is_staff or is_member(user, session.board_id)


def require_runner(user: User, session: BoardSession) -> None:
    require_room(user, session)
    if not can_run_session(user, session):
        raise Forbidden(_("Only the board's members and coordinators can do this."))
