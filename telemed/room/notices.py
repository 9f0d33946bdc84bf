"""Emails from the room to the referring doctor: a recommendation was issued, or the case was
deferred. Case codes and links only, never patient data or the recommendation itself."""

from __future__ import annotations

from telemed.auth.models import User
from telemed.outbox.notify import notify
from telemed.room.models import Recommendation
from telemed.sessions.models import AgendaItem


def recommendation_issued(recommendation: Recommendation, user: User) -> None:
    if not user.active:
        return
    case = recommendation.case
    item = recommendation.agenda_item
    notify(
        "recommendation_issued",
        user,
        f"recommendation:{recommendation.id}:{user.id}",
        case=case,
        session=recommendation.session,
        agenda_code=item.agenda_code if item else case.code,
    )


def case_deferred(item: AgendaItem, user: User) -> None:
    if not user.active:
        return
    notify(
        "case_deferred",
        user,
        f"deferred:{item.id}:{user.id}",
        item=item,
        session=item.session,
        case=item.case,
    )
