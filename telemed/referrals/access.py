"""Who sees a referral and who acts on each side.

A referral is seen by whoever sees its case, and by the referring doctors of the receiving
centre once it was sent (they see the referral and the case summary it needs, nothing
else); the board's members and staff refer, and each centre takes the steps of its side."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Exists, Select, and_, exists, or_, select

from telemed.auth.models import Role, User
from telemed.boards.access import is_member
from telemed.boards.models import BoardSpecialty
from telemed.cases.access import can_see_case, is_case_centre_doctor, visible_case_ids
from telemed.cases.models import Case
from telemed.core.sql import any_row, one_visible
from telemed.extensions import db
from telemed.referrals.models import Referral, ReferralStatus, ReferralStep
from telemed.room.models import Recommendation


def is_receiving_doctor(user: User, referral: Referral) -> bool:
    return user.role is Role.REFERRING and user.centre_id == referral.to_centre_id


def acts_for_sender(user: User, referral: Referral) -> bool:
    """The sending side: the case centre's referring doctors, the case board's members, staff."""
    if user.is_staff or is_case_centre_doctor(user, referral.case):
        return True
    return referral.board_id is not None and is_member(user, referral.board_id)


def acts_for_receiver(user: User, referral: Referral) -> bool:
    """The receiving side: the receiving centre's referring doctors, and staff."""
    return user.is_staff or is_receiving_doctor(user, referral)


def summary_only(user: User, referral: Referral) -> bool:
    """The receiving centre sees the referral and the case summary it needs, nothing else."""
    return not can_see_case(user, referral.case)


def sent_clause() -> Exists:
    """A referral the sending side has sent (the receiving centre never sees drafts)."""
    return exists().where(
        ReferralStep.referral_id == Referral.id,
        ReferralStep.to_status == ReferralStatus.SENT.value,
    )


def visible_referrals(user: User) -> Select[Referral]:
    """Referrals whose case the user sees, plus those sent to the user's centre."""
    query = select(Referral)
    if user.is_staff:
        return query
    conditions: list[ColumnElement[bool]] = [Referral.case_id.in_(visible_case_ids(user))]
    if user.role is Role.REFERRING and user.centre_id is not None:
        conditions.append(and_(Referral.to_centre_id == user.centre_id, sent_clause()))
    return query.where(or_(*conditions))


def can_see_referral(user: User, referral: Referral) -> bool:
    return any_row(visible_referrals(user).where(Referral.id == referral.id))


def get_visible_referral(user: User, referral_id: int) -> Referral:
    return one_visible(visible_referrals(user).where(Referral.id == referral_id), "referral")


def case_board_id(case: Case, recommendation: Recommendation | None = None) -> int | None:
    """The board that discussed the case: the recommendation's session, else its specialty's."""
    if recommendation is not None and recommendation.session is not None:
        return recommendation.session.board_id
    return db.session.scalar(
        select(BoardSpecialty.board_id).where(BoardSpecialty.specialty == case.specialty)
    )


def can_refer(user: User, recommendation: Recommendation) -> bool:
    """Referrals are made by the members of the case's board and by staff."""
    if user.is_staff:
        return True
    board_id = case_board_id(recommendation.case, recommendation)
    return board_id is not None and is_member(user, board_id)
