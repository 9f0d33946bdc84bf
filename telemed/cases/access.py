"""Who may see which case. Every page and endpoint goes through here."""

from __future__ import annotations

from sqlalchemy import Select, false, select

from telemed.auth.models import Role, User
from telemed.boards.models import BoardMember, BoardSpecialty
from telemed.cases.models import Case
from telemed.core.errors import NotFound
from telemed.extensions import db


def visible_cases(user: User) -> Select[tuple[Case]]:
    """Cases ``user`` may see: own centre for referring doctors, all for staff.

    Specialists see the cases routed to the boards they belong to.
    """
    query = select(Case)
    if user.is_staff:
        return query
    if user.role is Role.REFERRING and user.centre_id is not None:
        return query.where(Case.centre_id == user.centre_id)
    if user.role is Role.SPECIALIST:
        boards = select(BoardMember.board_id).where(BoardMember.user_id == user.id)
        specialties = select(BoardSpecialty.specialty).where(BoardSpecialty.board_id.in_(boards))
        return query.where(Case.specialty.in_(specialties))
    return query.where(false())


def get_visible_case(user: User, case_id: int) -> Case:
    """The case, or ``NotFound`` whether it is missing or hidden, so existence never leaks."""
    case = db.session.scalar(visible_cases(user).where(Case.id == case_id))
    if case is None:
        raise NotFound("case not found")
    return case


def is_case_centre_doctor(user: User, case: Case) -> bool:
    """Referring doctors of the case's centre act for it (a colleague may cover)."""
    return user.role is Role.REFERRING and user.centre_id == case.centre_id


def can_see_case(user: User, case: Case) -> bool:
    """The full review of a case: the same rule as the case page."""
    found = db.session.scalar(
        visible_cases(user).where(Case.id == case.id).with_only_columns(Case.id)
    )
    return found is not None
