"""Preparation before the session: notes, questions, answers, reviewed-by, missing material.

Also the template globals the partials of other pages call (case page, review panel, room
and session rows, coordinator dashboard), so none of those views needs to know about
preparation.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from telemed.auth.service import is_safe_next
from telemed.cases.access import can_see_case
from telemed.cases.models import Case
from telemed.core.errors import InputError, InvalidTransition
from telemed.core.flashing import flash_error
from telemed.preparation import material
from telemed.preparation import service as preparation
from telemed.preparation.access import can_mark_reviewed
from telemed.sessions.access import require_runner
from telemed.sessions.labels import OUTCOME_LABELS
from telemed.sessions.models import AgendaItem, BoardSession
from telemed.sessions.service import get_session

bp = Blueprint("preparation", __name__)
# Refusals told on the page the form was on; hidden (404) and forbidden (403) are error pages.
REFUSED = (InputError, InvalidTransition)


def back(default: str) -> ResponseReturnValue:
    """Back to the page the form was on (``next``), if it is one of ours."""
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else default)


def case_anchor(case_id: int) -> str:
    return url_for("cases.detail", case_id=case_id) + "#preparation"


@bp.get("/sessions/<int:session_id>/preparation")
@login_required
def overview(session_id: int) -> ResponseReturnValue:
    """The agenda with who reviewed each case, open questions and missing material."""
    session = get_session(session_id)
    require_runner(current_user, session)
    started = preparation.preparation_started(session)
    rows = preparation.agenda_rows(session) if started else []
    preparation.record_view(current_user, session)
    return render_template(
        "preparation/preparation.html",
        session=session,
        board=session.board,
        rows=rows,
        started=started,
        over=preparation.session_over(session),
        outcome_labels=OUTCOME_LABELS,
        can_mark=preparation.preparation_open(session) and can_mark_reviewed(current_user, session),
    )


@bp.post("/sessions/<int:session_id>/cases/<int:case_id>/notes")
@login_required
def add_note(session_id: int, case_id: int) -> ResponseReturnValue:
    session = get_session(session_id)
    data = {k: v for k, v in request.form.items() if k in ("kind", "text")}
    try:
        note = preparation.add_note(current_user, session, case_id, data)
    except REFUSED as err:  # closed, or bad input: said on the page; 403/404 are pages
        flash_error(err)
    else:
        if note.kind.value == "question":
            flash(_("Question sent; the referring doctor was told by email."), "success")
        else:
            flash(_("Note saved (the board sees it; the referring doctor does not)."), "success")
    return back(case_anchor(case_id))


@bp.post("/sessions/<int:session_id>/cases/<int:case_id>/reviewed")
@login_required
def reviewed(session_id: int, case_id: int) -> ResponseReturnValue:
    session = get_session(session_id)
    try:
        preparation.mark_reviewed(current_user, session, case_id)
    except REFUSED as err:  # closed, or bad input: said on the page; 403/404 are pages
        flash_error(err)
    else:
        flash(_("Marked as reviewed."), "success")
    return back(case_anchor(case_id))


@bp.post("/questions/<int:note_id>/answer")
@login_required
def answer(note_id: int) -> ResponseReturnValue:
    note = preparation.get_question(current_user, note_id)
    case_id = note.case_id
    try:
        preparation.answer_question(current_user, note, {"answer": request.form.get("answer")})
    except REFUSED as err:
        flash_error(err)
    else:
        flash(_("Answer saved; the board member who asked was told."), "success")
    return back(case_anchor(case_id))


# --- template globals for the partials ------------------------------------------------


@bp.app_template_global()
def case_preparation(case: Case, item: AgendaItem | None = None) -> preparation.CasePreparation:
    """The case page's and the panel's preparation block, as the current user may see it."""
    return preparation.case_preparation(current_user, case, item)


@bp.app_template_global()
def can_prepare(session: BoardSession) -> bool:
    return preparation.can_prepare(current_user, session)


@bp.app_template_global()
def agenda_item_extras(item: AgendaItem) -> preparation.ItemPreparation | None:
    """An agenda row's reviewed-by, open questions and missing material (computed once per
    session and request); None when the viewer may not see the case behind the row."""
    if not (
        preparation.can_prepare(current_user, item.session) or can_see_case(current_user, item.case)
    ):
        return None
    cache: dict[int, dict[int, preparation.ItemPreparation]] = g.setdefault("agenda_overviews", {})
    if item.session_id not in cache:
        cache[item.session_id] = preparation.agenda_overview(item.session)
    return cache[item.session_id].get(item.id)


@bp.app_template_global()
def material_watchlist() -> list[material.BoardGaps]:
    """Coming agenda entries with missing material, for the coordinator dashboard."""
    return material.material_watchlist()
