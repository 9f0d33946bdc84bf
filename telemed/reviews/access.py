"""Who may enter a session room, run it, and see or change what it records.

Every page and API endpoint of the review package goes through here, so the rules of the
issue live in one place:
- the room: staff, board members, and invited referring doctors (their own cases only);
- running the session (attendance, outcomes, recommendations, agreements): staff and members;
- a referral: whoever sees its case, and the referring doctors of the receiving centre, who
  see that referral (once sent) and the case summary it needs, nothing else; the board's
  members and staff refer, and each centre takes the steps of its side;
- an agreement: whoever sees its session; the board's members, staff and its owner mark it
  done.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Exists, Select, and_, exists, or_, select

from telemed.auth.models import Role, User
from telemed.boards.models import AgendaItem, BoardMember, BoardSession, BoardSpecialty
from telemed.boards.service import can_view_session, centre_sessions, is_member
from telemed.cases.access import is_case_centre_doctor, visible_cases
from telemed.cases.models import Case
from telemed.core.errors import Forbidden, NotFound
from telemed.extensions import db
from telemed.invites.models import SessionAttendee
from telemed.reviews.models import (
    Agreement,
    Recommendation,
    Referral,
    ReferralStatus,
    ReferralStep,
)


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


def visible_referrals(user: User) -> Select[tuple[Referral]]:
    """Referrals whose case the user sees, plus those sent to the user's centre."""
    query = select(Referral)
    if user.is_staff:
        return query
    seen_cases = visible_cases(user).with_only_columns(Case.id)
    conditions = [Referral.case_id.in_(seen_cases)]
    if user.role is Role.REFERRING and user.centre_id is not None:
        conditions.append(and_(Referral.to_centre_id == user.centre_id, sent_clause()))
    return query.where(or_(*conditions))


def get_visible_referral(user: User, referral_id: int) -> Referral:
    referral = db.session.scalar(visible_referrals(user).where(Referral.id == referral_id))
    if referral is None:
        raise NotFound("referral not found")
    return referral


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


# --- agreements -----------------------------------------------------------------------


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


# --- preparation ----------------------------------------------------------------------


def can_read_board_notes(user: User, case: Case) -> bool:
    """Preparation notes are for the board: staff and the specialists who see the case, never
    the referring doctors (they see the questions put to them, and answer them)."""
    if user.is_staff:
        return True
    return user.role is Role.SPECIALIST and can_see_case(user, case)


def can_mark_reviewed(user: User, session: BoardSession) -> bool:
    """Marking a case reviewed is a member's statement about their own preparation."""
    return is_member(user, session.board_id)


# --- recommendations ------------------------------------------------------------------


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
