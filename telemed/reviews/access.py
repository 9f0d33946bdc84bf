"""Who may enter a session room, run it, and see or change what it records.

Every page and API endpoint of the review package goes through here, so the rules of the
issue live in one place:
- the room: staff, board members, and invited referring doctors (their own cases only);
- running the session (attendance, outcomes, recommendations, agreements): staff and members;
- a referral: whoever sees its case, and the referring doctors of the receiving centre, who
  see that referral and the case summary it needs, nothing else.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select

from telemed.auth.models import Role, User
from telemed.boards.models import AgendaItem, BoardSession
from telemed.boards.service import can_view_session, is_member
from telemed.cases.access import is_case_centre_doctor, visible_cases
from telemed.cases.models import Case
from telemed.core.errors import Forbidden, NotFound
from telemed.extensions import db
from telemed.reviews.models import Recommendation, Referral


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


def can_see_case(user: User, case: Case) -> bool:
    """The full review of a case: the same rule as the case page."""
    found = db.session.scalar(
        visible_cases(user).where(Case.id == case.id).with_only_columns(Case.id)
    )
    return found is not None


def can_review_item(user: User, item: AgendaItem) -> bool:
    """In the room, a referring doctor opens the review of their own centre's cases only."""
    return can_enter_room(user, item.session) and can_see_case(user, item.case)


def is_receiving_doctor(user: User, referral: Referral) -> bool:
    return user.role is Role.REFERRING and user.centre_id == referral.to_centre_id


def visible_referrals(user: User) -> Select[tuple[Referral]]:
    """Referrals whose case the user sees, plus those sent to the user's centre."""
    query = select(Referral)
    if user.is_staff:
        return query
    seen_cases = visible_cases(user).with_only_columns(Case.id)
    conditions = [Referral.case_id.in_(seen_cases)]
    if user.role is Role.REFERRING and user.centre_id is not None:
        conditions.append(Referral.to_centre_id == user.centre_id)
    return query.where(or_(*conditions))


def get_visible_referral(user: User, referral_id: int) -> Referral:
    referral = db.session.scalar(visible_referrals(user).where(Referral.id == referral_id))
    if referral is None:
        raise NotFound("referral not found")
    return referral


def get_visible_recommendation(user: User, recommendation_id: int) -> Recommendation:
    """A recommendation is seen by whoever sees its case (404 otherwise)."""
    recommendation = db.session.get(Recommendation, recommendation_id)
    if recommendation is None or not can_see_case(user, recommendation.case):
        raise NotFound("recommendation not found")
    return recommendation


def can_record_adherence(user: User, recommendation: Recommendation) -> bool:
    """Only the referring doctors of the case's centre say whether it was carried out."""
    return is_case_centre_doctor(user, recommendation.case)


def require_adherence(user: User, recommendation: Recommendation) -> None:
    if not can_see_case(user, recommendation.case):
        raise NotFound("recommendation not found")
    if not can_record_adherence(user, recommendation):
        raise Forbidden(_("Only the referring doctors of the case's centre can record this."))
