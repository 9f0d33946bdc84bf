"""Emails about a case's preparation: missing material, a board's question, its answer.

Case codes and links only (never the patient reference or the clinical text), rendered in
the recipient's language, with times on the recipient's clock (``templates/emails/``).
"""

from __future__ import annotations

from telemed.auth.models import User
from telemed.cases.models import Case
from telemed.core.vocabulary import MATERIAL_LABELS, MaterialKind
from telemed.outbox.notify import notify, prepare
from telemed.outbox.service import Queued
from telemed.preparation.models import PreparationNote
from telemed.sessions.models import AgendaItem, BoardSession


def material_missing(item: AgendaItem, missing: list[MaterialKind], user: User) -> Queued:
    """What to upload, and by when; once per session and case (its dedupe key). The flag job
    queues these in bulk (``outbox.service.enqueue_many``)."""
    return prepare(
        "material_missing",
        user,
        f"material-missing:{item.session_id}:{item.case_id}",
        item=item,
        session=item.session,
        case=item.case,
        missing=[MATERIAL_LABELS[kind] for kind in missing],
    )


def question_asked(note: PreparationNote, item: AgendaItem, user: User) -> None:
    """The referring doctor is told a board member asked something (the text stays on the
    case page)."""
    notify(
        "question_asked",
        user,
        f"question-asked:{note.id}:{user.id}",
        session=item.session,
        case=item.case,
    )


def question_answered(note: PreparationNote, case: Case, session: BoardSession | None) -> None:
    """The member who asked is told the referring doctor answered."""
    notify(
        "question_answered",
        note.author,
        f"question-answered:{note.id}",
        case=case,
        session=session,
    )
