"""Emails from the room to the referring doctor: a recommendation was issued, or the case was
deferred. Case codes and links only, never patient data or the recommendation itself."""

from __future__ import annotations

from flask_babel import gettext as _

from telemed.auth.models import User
from telemed.outbox.service import enqueue, in_language_of
from telemed.room.models import Recommendation
from telemed.sessions.models import AgendaItem
from telemed.sessions.notices import case_link


def recommendation_issued(recommendation: Recommendation, user: User) -> None:
    if not user.active:
        return
    case = recommendation.case
    session = recommendation.session
    with in_language_of(user):
        lines = [
            _("The board issued a recommendation on case %(code)s.", code=case.code),
        ]
        if session is not None:
            lines.append(
                _("%(board)s, session %(number)d, agenda code %(agenda)s.",
                  board=session.board.name, number=session.number,
                  agenda=recommendation.agenda_item.agenda_code
                  if recommendation.agenda_item else case.code)
            )  # fmt: skip
        lines += [
            _("Read it on the case page, and record there whether it was carried out:"),
            case_link(case),
        ]
        enqueue(
            f"recommendation:{recommendation.id}:{user.id}",
            "recommendation_issued",
            user,
            _("Case %(code)s: the board's recommendation", code=case.code),
            "\n".join(lines),
        )


def case_deferred(item: AgendaItem, user: User) -> None:
    if not user.active:
        return
    case = item.case
    session = item.session
    with in_language_of(user):
        enqueue(
            f"deferred:{item.id}:{user.id}",
            "case_deferred",
            user,
            _("Case %(code)s was deferred to a later session", code=case.code),
            "\n".join([
                _("%(board)s, session %(number)d, deferred case %(agenda)s.",
                  board=session.board.name, number=session.number, agenda=item.agenda_code),
                _("It keeps its precedence and will be placed on the next agenda."),
                _("The reason is on the case page:"),
                case_link(case),
            ]),
        )  # fmt: skip
