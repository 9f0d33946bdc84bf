"""Who may see which case and its files. Every page, endpoint, feed, export and PDF goes
through here: ``visible_cases`` is the rule, the predicates read the same query."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, false, select

from telemed.auth.models import Role, User
from telemed.boards.access import member_board_ids
from telemed.boards.models import BoardSpecialty
from telemed.cases.models import Attachment, Case
from telemed.core.sql import any_row, one_visible
from telemed.extensions import db


def visible_cases(user: User) -> Select[Case]:
    """Cases ``user`` may see: own centre for referring doctors, all for staff.

    Specialists see the cases routed to the boards they belong to.
    """
    query = select(Case)
    if user.is_staff:
        return query
    if user.role is Role.REFERRING and user.centre_id is not None:
        return query.where(Case.centre_id == user.centre_id)
    if user.role is Role.SPECIALIST:
        specialties = select(BoardSpecialty.specialty).where(
            BoardSpecialty.board_id.in_(member_board_ids(user))
        )
        return query.where(Case.specialty.in_(specialties))
    return query.where(false())


def visible_case_ids(user: User) -> Select[int]:
    """Ids of the cases ``user`` may see (a subquery for the rules built on this one)."""
    return visible_cases(user).with_only_columns(Case.id)


def can_see_case(user: User, case: Case) -> bool:
    return any_row(visible_case_ids(user).where(Case.id == case.id))


def seen_case_ids(user: User, case_ids: Iterable[int]) -> set[int]:
    """Which of ``case_ids`` the user may see (an agenda shows the others by code only)."""
    wanted = list(set(case_ids))
    if not wanted:
        return set()
    return set(db.session.scalars(visible_case_ids(user).where(Case.id.in_(wanted))))


def get_visible_case(user: User, case_id: int) -> Case:
    """The case, or ``NotFound`` whether it is missing or hidden, so existence never leaks."""
    return one_visible(visible_cases(user).where(Case.id == case_id), "case")


def visible_attachments(user: User) -> Select[Attachment]:
    """Files of the cases ``user`` may see."""
    return select(Attachment).where(Attachment.case_id.in_(visible_case_ids(user)))


def get_visible_attachment(user: User, case_id: int, attachment_id: int) -> Attachment:
    query = visible_attachments(user).where(
        Attachment.id == attachment_id, Attachment.case_id == case_id
    )
    return one_visible(query, "attachment")


def is_case_centre_doctor(user: User, case: Case) -> bool:
    """Referring doctors of the case's centre act for it (a colleague may cover)."""
    return user.role is Role.REFERRING and user.centre_id == case.centre_id
