"""The session room and the review panel of each agenda case.

The room follows the order of business of the minutes, but the cases come before the
follow-up of earlier agreements (the session's own business first). Its attendance card is a
fragment the page re-fetches every 15 seconds (``static/room.js``) and whose buttons are plain
forms, so it works without JavaScript. Members and coordinators run the session; invited referring
doctors follow it and open the review of their own centre's cases only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from telemed.boards.models import SessionKind
from telemed.cases.access import is_case_centre_doctor
from telemed.cases.models import Case
from telemed.cases.views import FormError, render_detail
from telemed.core.errors import InputError, InvalidTransition, NotFound
from telemed.core.flashing import flash_error, refused
from telemed.room import access, service
from telemed.room.labels import (
    ADHERENCE_LABELS,
    ATTENDANCE_ROLE_LABELS,
    RECOMMENDATION_CATEGORY_LABELS,
)
from telemed.room.models import Recommendation, RecommendationCategory
from telemed.sessions import access as session_access
from telemed.sessions import service as session_service
from telemed.sessions.labels import DEFERRAL_REASON_LABELS, OUTCOME_LABELS, SECTION_LABELS
from telemed.sessions.models import AgendaItem, BoardSession

bp = Blueprint("room", __name__)
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


@bp.app_context_processor
def review_helpers() -> dict[str, Any]:
    return {
        "review_labels": {
            "category": RECOMMENDATION_CATEGORY_LABELS,
            "adherence": ADHERENCE_LABELS,
            "attendance_role": ATTENDANCE_ROLE_LABELS,
            "outcome": OUTCOME_LABELS,
            "deferral": DEFERRAL_REASON_LABELS,
            "section": SECTION_LABELS,
        }
    }


@dataclass
class CaseRecommendations:
    """What the case page shows of the board's recommendations, and whether the viewer may
    report their adherence."""

    items: list[Recommendation]
    can_adhere: bool


@bp.app_template_global()
def case_recommendations(case: Case) -> CaseRecommendations:
    """For ``reviews/_case_recommendations.html`` (the case page already checked access)."""
    return CaseRecommendations(
        items=service.case_recommendations(case.id),
        can_adhere=current_user.is_authenticated and is_case_centre_doctor(current_user, case),
    )


def board_local(session: BoardSession, value: datetime | None, fmt: str = LOCAL_INPUT) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(session.board.timezone)).strftime(fmt)


def form_data() -> dict[str, Any]:
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


def room_session(session_id: int) -> BoardSession:
    """The session, or 404 when it is missing or its room is not the viewer's to enter."""
    session = session_service.get_session(session_id)
    session_access.require_room(current_user, session)
    return session


def to_room(session: BoardSession, anchor: str = "room-attendance") -> ResponseReturnValue:
    return redirect(url_for("room.room", session_id=session.id, _anchor=anchor))


def attendance_context(session: BoardSession) -> dict[str, Any]:
    return {
        "session": session,
        "board": session.board,
        "can_run": session_access.can_run_session(current_user, session)
        and service.record_open(session),
        "attendance": service.room_attendance(session),
        "local_start": board_local(session, session.started_at),
        "local_end": board_local(session, session.ended_at),
    }


# --- the room -------------------------------------------------------------------------


@bp.get("/sessions/<int:session_id>/room")
@login_required
def room(session_id: int) -> ResponseReturnValue:
    session = room_session(session_id)
    agenda = session.agenda
    reviewable = {item.id for item in agenda if access.can_review_item(current_user, item)}
    service.record_view(current_user, "session.room", "session", session.id, number=session.number)
    return render_template(
        "room/room.html",
        agenda=agenda,
        reviewable=reviewable,
        case_review=session.kind is SessionKind.CASE_REVIEW,
        video=service.video_state(session),
        can_decide={item.id for item in agenda if service.can_decide(current_user, item)},
        **attendance_context(session),
    )


@bp.get("/sessions/<int:session_id>/room/attendance")
@login_required
def attendance(session_id: int) -> ResponseReturnValue:
    """The attendance card alone (re-fetched by the room page every 15 seconds)."""
    session = room_session(session_id)
    return render_template("room/_room_attendance.html", **attendance_context(session))


def room_action(
    session: BoardSession, action: Callable[[], object], done: str
) -> ResponseReturnValue:
    """Run a change of the room's record; refusals are flashed and nothing is changed."""
    try:
        action()
    except (InputError, InvalidTransition) as err:
        flash_error(err)
    else:
        flash(done, "success")
    return to_room(session)


@bp.post("/sessions/<int:session_id>/room/attendance")
@login_required
def mark(session_id: int) -> ResponseReturnValue:
    session = room_session(session_id)
    if "email" in request.form:
        return room_action(
            session,
            lambda: service.mark_by_email(current_user, session, request.form["email"]),
            _("Attendance recorded."),
        )
    present = request.form.get("present", "true")
    return room_action(
        session,
        lambda: service.mark_attendance(
            current_user, session, request.form.get("user_id"), present
        ),
        _("Attendance recorded."),
    )


@bp.post("/sessions/<int:session_id>/room/guests")
@login_required
def add_guest(session_id: int) -> ResponseReturnValue:
    session = room_session(session_id)
    return room_action(
        session,
        lambda: service.add_guest(
            current_user, session, request.form.get("name"), request.form.get("unit")
        ),
        _("Guest added."),
    )


@bp.post("/sessions/<int:session_id>/room/attendance/<int:attendance_id>/remove")
@login_required
def remove_attendance(session_id: int, attendance_id: int) -> ResponseReturnValue:
    session = room_session(session_id)
    row = service.get_attendance(session, attendance_id)
    return room_action(
        session, lambda: service.remove_attendance(current_user, row), _("Removed from attendance.")
    )


@bp.post("/sessions/<int:session_id>/room/start")
@login_required
def start(session_id: int) -> ResponseReturnValue:
    session = room_session(session_id)
    return room_action(
        session, lambda: service.start_session(current_user, session), _("The session started.")
    )


@bp.post("/sessions/<int:session_id>/room/end")
@login_required
def end(session_id: int) -> ResponseReturnValue:
    session = room_session(session_id)
    return room_action(
        session, lambda: service.end_session(current_user, session), _("The session ended.")
    )


@bp.post("/sessions/<int:session_id>/room/times")
@login_required
def times(session_id: int) -> ResponseReturnValue:
    session = room_session(session_id)
    return room_action(
        session,
        lambda: service.correct_times(current_user, session, form_data()),
        _("Start and end times saved."),
    )


@bp.post("/sessions/<int:session_id>/room/general-matters")
@login_required
def general_matters(session_id: int) -> ResponseReturnValue:
    session = room_session(session_id)
    try:
        service.set_general_matters(current_user, session, form_data())
    except (InputError, InvalidTransition) as err:
        flash_error(err)
    else:
        flash(_("General matters saved."), "success")
    return to_room(session, "room-general")


# --- the review panel -----------------------------------------------------------------


def panel_item(session_id: int, item_id: int) -> tuple[BoardSession, AgendaItem]:
    """The entry of a session whose review the viewer may open (404 otherwise)."""
    session = room_session(session_id)
    item = service.get_item_in(session, item_id)
    if not access.can_review_item(current_user, item):
        raise NotFound("agenda entry not found")
    return session, item


def render_panel(
    session: BoardSession,
    item: AgendaItem,
    errors: dict[str, list[str]] | None = None,
    form: str | None = None,
) -> ResponseReturnValue:
    case = item.case
    recommendations = service.case_recommendations(case.id)
    earlier = service.earlier_entries(item)
    can_run = session_access.can_run_session(current_user, session)
    values: Any = request.form if errors else {}
    return render_template(
        "room/panel.html",
        session=session,
        item=item,
        case=case,
        can_run=can_run,
        recommendations=recommendations,
        this_session=[r for r in recommendations if r.agenda_item_id == item.id],
        earlier=earlier,
        earlier_recommendations={
            entry.id: [r for r in recommendations if r.agenda_item_id == entry.id]
            for entry in earlier
        },
        can_decide=service.can_decide(current_user, item),
        can_add=can_run and item.outcome.value == "discussed" and service.record_open(session),
        presenters=service.presenter_choices(session) if can_run else [],
        categories=[(c.value, RECOMMENDATION_CATEGORY_LABELS[c]) for c in RecommendationCategory],
        errors=errors or {},
        form=form,
        values=values,
    ), (422 if errors else 200)


@bp.get("/sessions/<int:session_id>/items/<int:item_id>")
@login_required
def panel(session_id: int, item_id: int) -> ResponseReturnValue:
    session, item = panel_item(session_id, item_id)
    service.record_view(current_user, "case.review", "case", item.case_id, code=item.case.code,
                     session=session.number)  # fmt: skip
    return render_panel(session, item)


@bp.post("/sessions/<int:session_id>/items/<int:item_id>/outcome")
@login_required
def outcome(session_id: int, item_id: int) -> ResponseReturnValue:
    session, item = panel_item(session_id, item_id)
    try:
        recommendation = service.record_outcome(current_user, item, form_data())
    except InputError as err:
        return render_panel(session, item, refused(err), form="outcome")
    except InvalidTransition as err:
        flash_error(err)
        return redirect(url_for("room.panel", session_id=session.id, item_id=item.id))
    if recommendation is None:
        flash(_("Case %(code)s deferred; it goes back to scheduling first.",
                code=item.agenda_code), "info")  # fmt: skip
    else:
        flash(_("Recommendation on %(code)s recorded; the referring doctor was notified.",
                code=item.agenda_code), "success")  # fmt: skip
    return redirect(url_for("room.room", session_id=session.id, _anchor=f"agenda-{item.id}"))


@bp.post("/sessions/<int:session_id>/items/<int:item_id>/recommendations")
@login_required
def add_recommendation(session_id: int, item_id: int) -> ResponseReturnValue:
    session, item = panel_item(session_id, item_id)
    try:
        service.add_recommendation(current_user, item, form_data())
    except InputError as err:
        return render_panel(session, item, refused(err), form="recommendation")
    except InvalidTransition as err:
        flash_error(err)
    else:
        flash(_("Recommendation recorded; the referring doctor was notified."), "success")
    return redirect(url_for("room.panel", session_id=session.id, item_id=item.id))


# --- adherence (from the case page) ---------------------------------------------------


@bp.post("/recommendations/<int:recommendation_id>/adherence")
@login_required
def adherence(recommendation_id: int) -> ResponseReturnValue:
    recommendation = access.get_visible_recommendation(current_user, recommendation_id)
    case_id = recommendation.case_id
    data = form_data()
    try:
        service.record_adherence(current_user, recommendation, data)
    except InputError as err:  # shown on the case page again, beside the fields, choice kept
        errors = refused(err)
        form = FormError(f"adherence-{recommendation_id}", errors, data)
        return render_detail(recommendation.case, form)
    answer = recommendation.adherence
    assert answer is not None  # just recorded (the form requires it)
    label = ADHERENCE_LABELS[answer]
    flash(_("Adherence recorded: %(answer)s.", answer=label), "success")
    return redirect(
        url_for("cases.detail", case_id=case_id, _anchor=f"recommendation-{recommendation_id}")
    )
