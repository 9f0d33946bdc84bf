"""Who sees an agreement (whoever sees its session: the rule of the session pages) and who
marks it done (the board's members, staff and its owner)."""

from __future__ import annotations

from sqlalchemy import Select, select

from telemed.agreements.models import Agreement
from telemed.auth.models import User
from telemed.core.sql import any_row, one_visible
from telemed.sessions.access import can_run_session, visible_session_ids


def visible_agreements(user: User) -> Select[Agreement]:
    """Agreements of the sessions ``user`` may see."""
    query = select(Agreement)
    if user.is_staff:
        return query
    return query.where(Agreement.session_id.in_(visible_session_ids(user)))


def can_see_agreement(user: User, agreement: Agreement) -> bool:
    return any_row(visible_agreements(user).where(Agreement.id == agreement.id))


def get_visible_agreement(user: User, agreement_id: int) -> Agreement:
    return one_visible(visible_agreements(user).where(Agreement.id == agreement_id), "agreement")


def can_mark_done(user: User, agreement: Agreement) -> bool:
    """The board's members and coordinators, and the agreement's owner."""
    return can_run_session(user, agreement.session) or user.id == agreement.owner_id
