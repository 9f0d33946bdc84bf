"""Who may open the review of an agenda case, see a recommendation and record adherence."""

from __future__ import annotations

from flask_babel import gettext as _

from telemed.auth.models import User
from telemed.cases.access import can_see_case, is_case_centre_doctor
from telemed.core.errors import Forbidden, NotFound
from telemed.extensions import db
from telemed.room.models import Recommendation
from telemed.sessions.access import can_enter_room
from telemed.sessions.models import AgendaItem


def can_review_item(user: User, item: AgendaItem) -> bool:
    """In the room, a referring doctor opens the review of their own centre's cases only."""
    return can_enter_room(user, item.session) and can_see_case(user, item.case)


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
