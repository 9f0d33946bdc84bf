"""Who may open the review of an agenda case, see a recommendation (whoever sees its case)
and record whether it was carried out (the case centre's referring doctors)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select, select

from telemed.auth.models import User
from telemed.cases.access import can_see_case, is_case_centre_doctor, visible_case_ids
from telemed.core.errors import Forbidden, NotFound
from telemed.core.sql import any_row, one_visible
from telemed.extensions import db
from telemed.room.models import Recommendation
from telemed.sessions.access import can_enter_room
from telemed.sessions.models import AgendaItem


def can_review_item(user: User, item: AgendaItem) -> bool:
    """In the room, a referring doctor opens the review of their own centre's cases only."""
    return can_enter_room(user, item.session) and can_see_case(user, item.case)


def get_reviewable_item(user: User, item_id: int) -> AgendaItem:
    """An agenda entry whose review ``user`` may open (404 otherwise)."""
    item = db.session.get(AgendaItem, item_id)
    if item is None or not can_review_item(user, item):
        raise NotFound("agenda entry not found")
    return item


def visible_recommendations(user: User) -> Select[Recommendation]:
    """Recommendations on the cases ``user`` may see."""
    return select(Recommendation).where(Recommendation.case_id.in_(visible_case_ids(user)))


def can_see_recommendation(user: User, recommendation: Recommendation) -> bool:
    return any_row(visible_recommendations(user).where(Recommendation.id == recommendation.id))


def find_visible_recommendation(user: User, recommendation_id: int) -> Recommendation | None:
    return db.session.scalar(
        visible_recommendations(user).where(Recommendation.id == recommendation_id)
    )


def get_visible_recommendation(user: User, recommendation_id: int) -> Recommendation:
    """The recommendation, or ``NotFound`` whether it is missing or hidden."""
    query = visible_recommendations(user).where(Recommendation.id == recommendation_id)
    return one_visible(query, "recommendation")


def can_record_adherence(user: User, recommendation: Recommendation) -> bool:
    """Only the referring doctors of the case's centre say whether it was carried out."""
    return is_case_centre_doctor(user, recommendation.case)


def require_adherence(user: User, recommendation: Recommendation) -> None:
    if not can_see_recommendation(user, recommendation):
        raise NotFound("recommendation not found")
    if not can_record_adherence(user, recommendation):
        raise Forbidden(_("Only the referring doctors of the case's centre can record this."))
