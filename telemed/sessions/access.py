"""Who may see which session, and who may enter its room or run it.

One rule, written once as a query and read as a predicate from the same expression, for
every door: the session pages and the API, calendar feeds, the room, the minutes,
certificates and agreements.
- coordinators and administrators see every session;
- a board's members see its sessions;
- an invitee sees the session (the audience of a training or keynote lecture);
- a referring doctor sees the sessions with a case of their centre on the agenda.
Hidden sessions answer 404, as hidden cases do: existence never leaks.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, or_, select

from telemed.auth.models import Role, User
from telemed.boards.access import is_member, member_board_ids
from telemed.boards.models import Board, SessionKind
from telemed.cases.models import Case
from telemed.core.clock import now_utc
from telemed.core.errors import Forbidden, NotFound
from telemed.core.sql import any_row, one_visible
from telemed.extensions import db
from telemed.sessions.models import (
    AGENDA_OUTCOMES,
    DECIDE_FROM,
    AgendaItem,
    BoardSession,
    SessionAttendee,
)


def centre_sessions(user: User) -> Select[int]:
    """Ids of sessions with a case of the user's centre on their agenda (a subquery)."""
    return (
        select(AgendaItem.session_id)
        .join(Case, Case.id == AgendaItem.case_id)
        .where(Case.centre_id == user.centre_id, AgendaItem.outcome.in_(AGENDA_OUTCOMES))
    )


def invited_sessions(user: User) -> Select[int]:
    """Ids of sessions ``user`` is an active invitee of (a subquery)."""
    return select(SessionAttendee.session_id).where(
        SessionAttendee.user_id == user.id, SessionAttendee.active.is_(True)
    )


def session_clause(user: User) -> ColumnElement[bool] | None:
    """The rule as a condition on ``BoardSession``; ``None`` when every session is seen."""
    if user.is_staff:
        return None
    conditions = [
        BoardSession.board_id.in_(member_board_ids(user)),
        BoardSession.id.in_(invited_sessions(user)),
    ]
    if user.role is Role.REFERRING and user.centre_id is not None:
        conditions.append(BoardSession.id.in_(centre_sessions(user)))
    return or_(*conditions)


def visible_sessions(user: User) -> Select[BoardSession]:
    """Sessions ``user`` may see."""
    clause = session_clause(user)
    query = select(BoardSession)
    return query if clause is None else query.where(clause)


def visible_session_ids(user: User) -> Select[int]:
    """Ids of the sessions ``user`` may see (a subquery for the rules built on this one)."""
    return visible_sessions(user).with_only_columns(BoardSession.id)


def can_view_session(user: User, session: BoardSession) -> bool:
    if user.is_staff:
        return True
    return any_row(visible_session_ids(user).where(BoardSession.id == session.id))


def find_visible_session(user: User, session_id: int) -> BoardSession | None:
    return db.session.scalar(visible_sessions(user).where(BoardSession.id == session_id))


def get_visible_session(user: User, session_id: int) -> BoardSession:
    """The session, or ``NotFound`` whether it is missing or hidden from ``user``."""
    return one_visible(visible_sessions(user).where(BoardSession.id == session_id), "session")


def board_sessions_seen(user: User, board: Board) -> set[int] | None:
    """For a board's page: ``None`` when the user sees all its sessions, else the ids."""
    if user.is_staff or is_member(user, board.id):
        return None
    query = visible_session_ids(user).where(BoardSession.board_id == board.id)
    return set(db.session.scalars(query))


def can_enter_room(user: User, session: BoardSession) -> bool:
    """The room is open to whoever may see the session (a referring doctor then opens the
    review of their own centre's cases only)."""
    return can_view_session(user, session)


def require_room(user: User, session: BoardSession) -> None:
    if not can_enter_room(user, session):
        raise NotFound("session not found")


def can_run_session(user: User, session: BoardSession) -> bool:
    """Coordinators, administrators and the board's members (specialists)."""
    return user.is_staff or is_member(user, session.board_id)


def require_runner(user: User, session: BoardSession) -> None:
    require_room(user, session)
    if not can_run_session(user, session):
        raise Forbidden(_("Only the board's members and coordinators can do this."))


@dataclass(frozen=True)
class SessionActions:
    """What a user may do on a session's page (the templates offer only these)."""

    edit_agenda: bool  # coordinators, until the agenda's cut-off
    decide: bool  # members and coordinators, from shortly before the start (in the room)
    reschedule: bool  # coordinators, until the session is held or cancelled
    set_audience: bool  # coordinators, for a coming training or keynote session


def actions_on(user: User, session: BoardSession) -> SessionActions:
    staff, upcoming = user.is_staff, session.upcoming
    return SessionActions(
        edit_agenda=staff and session.agenda_open,
        decide=upcoming
        and now_utc() >= session.starts_at - DECIDE_FROM
        and can_run_session(user, session),
        reschedule=staff and upcoming,
        set_audience=staff and upcoming and session.kind is not SessionKind.CASE_REVIEW,
    )
