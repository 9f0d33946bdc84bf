"""Who sees an agreement (whoever sees its session) and who marks it done (the board's
members, staff and its owner)."""

from __future__ import annotations

from sqlalchemy import Select, or_, select

from telemed.agreements.models import Agreement
from telemed.auth.models import Role, User
from telemed.boards.models import BoardMember
from telemed.core.errors import NotFound
from telemed.extensions import db
from telemed.sessions.access import can_run_session, centre_sessions
from telemed.sessions.models import SessionAttendee


def visible_agreements(user: User) -> Select[tuple[Agreement]]:
    """Agreements of the sessions ``user`` may see (the rule of the session pages)."""
    query = select(Agreement)
    if user.is_staff:
        return query
    member_of = select(BoardMember.board_id).where(BoardMember.user_id == user.id)
    invited = select(SessionAttendee.session_id).where(
        SessionAttendee.user_id == user.id, SessionAttendee.active.is_(True)
    )
    conditions = [Agreement.board_id.in_(member_of), Agreement.session_id.in_(invited)]
    if user.role is Role.REFERRING and user.centre_id is not None:
        conditions.append(Agreement.session_id.in_(centre_sessions(user)))
    return query.where(or_(*conditions))


def get_visible_agreement(user: User, agreement_id: int) -> Agreement:
    agreement = db.session.scalar(visible_agreements(user).where(Agreement.id == agreement_id))
    if agreement is None:
        raise NotFound("agreement not found")
    return agreement


def can_mark_done(user: User, agreement: Agreement) -> bool:
    """The board's members and coordinators, and the agreement's owner."""
    return can_run_session(user, agreement.session) or user.id == agreement.owner_id
