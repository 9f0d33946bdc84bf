"""Emails about a case's preparation: missing material, a board's question, its answer.

Case codes and links only (never the patient reference or the clinical text), rendered in
the recipient's language, with times on the recipient's clock.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app
from flask_babel import gettext as _

from telemed.auth.models import User
from telemed.cases.models import Case
from telemed.core.vocabulary import MATERIAL_LABELS, MaterialKind
from telemed.outbox.service import enqueue, in_language_of, user_locale
from telemed.preparation.models import PreparationNote
from telemed.sessions.models import AgendaItem, BoardSession
from telemed.sessions.notices import case_link, local_when


def local_moment(moment: datetime, user: User) -> str:
    """One instant on the recipient's clock, e.g. "martes, 3 de marzo de 2026, 22:59 PST
    (America/Tijuana)"."""
    zone_name = user.display_timezone
    local = moment.astimezone(ZoneInfo(zone_name))
    day = format_date(local.date(), "full", locale=user_locale(user))
    return f"{day}, {local:%H:%M} {local.tzname() or ''} ({zone_name})"


def preparation_link(session: BoardSession) -> str:
    return f"{current_app.config['BASE_URL']}/sessions/{session.id}/preparation"


def material_missing(item: AgendaItem, missing: list[MaterialKind], user: User) -> bool:
    """Once per session and case: what to upload, and by when. Returns whether it was queued."""
    session, case = item.session, item.case
    with in_language_of(user):
        lines = [
            _("Case %(code)s is on the agenda of %(board)s, session %(number)d (agenda code "
              "%(agenda)s).", code=case.code, board=session.board.name, number=session.number,
              agenda=item.agenda_code),
            _("Date: %(when)s", when=local_when(session, user)),
            "",
            _("The board needs this material for this kind of request, and it is not attached "
              "yet:"),
            *(f"- {MATERIAL_LABELS[kind]}" for kind in missing),
            "",
            _("Please upload it on the case page before the agenda closes: %(when)s.",
              when=local_moment(session.cutoff_at, user)),
            _("Mark each file with what it is (for example, pathology report)."),
            case_link(case),
        ]  # fmt: skip
        return enqueue(
            f"material-missing:{session.id}:{case.id}",
            "material_missing",
            user,
            _("Case %(code)s: material missing before the agenda closes", code=case.code),
            "\n".join(lines),
        )


def question_asked(note: PreparationNote, item: AgendaItem, user: User) -> None:
    """The referring doctor is told a board member asked something (the text stays on the
    case page)."""
    session, case = item.session, item.case
    with in_language_of(user):
        enqueue(
            f"question-asked:{note.id}:{user.id}",
            "question_asked",
            user,
            _("Case %(code)s: a question from the board", code=case.code),
            "\n".join([
                _("A member of %(board)s asked a question about case %(code)s before session "
                  "%(number)d.", board=session.board.name, code=case.code, number=session.number),
                _("Please read and answer it on the case page:"),
                case_link(case) + "#preparation",
            ]),
        )  # fmt: skip


def question_answered(note: PreparationNote, case: Case, session: BoardSession | None) -> None:
    """The member who asked is told the referring doctor answered."""
    user = note.author
    with in_language_of(user):
        lines = [
            _("The referring doctor answered your question about case %(code)s.", code=case.code),
            case_link(case) + "#preparation",
        ]
        if session is not None:
            lines += [_("Preparation of the session:"), preparation_link(session)]
        enqueue(
            f"question-answered:{note.id}",
            "question_answered",
            user,
            _("Case %(code)s: your question was answered", code=case.code),
            "\n".join(lines),
        )
