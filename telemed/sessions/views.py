"""Session and agenda pages, and the coordinator's dashboard: everyone sees the sessions
they may; coordinators run them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from telemed.auth.decorators import roles_required
from telemed.auth.models import Role
from telemed.boards import service as board_service
from telemed.boards.views import back_to, board_time, form_data
from telemed.cases.access import seen_case_ids
from telemed.core.errors import DomainError, InputError, NotFound
from telemed.core.flashing import flash_error, refused
from telemed.core.schemas import as_id
from telemed.invites import rsvp
from telemed.invites import service as invites
from telemed.sessions import access as session_access
from telemed.sessions import agenda as agenda_service
from telemed.sessions import assignment, order_of_business
from telemed.sessions import service as session_service
from telemed.sessions.labels import session_choice
from telemed.sessions.models import AgendaItem, BoardSession

bp = Blueprint("sessions", __name__)
staff_required = roles_required(Role.COORDINATOR, Role.ADMIN)


@bp.route("/boards/<int:board_id>/sessions/new", methods=["GET", "POST"])
@staff_required
def new_session(board_id: int) -> ResponseReturnValue:
    board = board_service.get_board(board_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            session = session_service.schedule_extraordinary(current_user, board, form_data())
        except InputError as err:
            errors = refused(err)
        else:
            flash(_("Extraordinary session %(number)d created.", number=session.number),
                  "success")  # fmt: skip
            return redirect(url_for("sessions.session_detail", session_id=session.id))
    values = (
        request.form
        if request.method == "POST"
        else {"start_time": board_service.usual_start(board)}
    )
    return render_template(
        "sessions/session_form.html", board=board, session=None, values=values, errors=errors
    ), (422 if errors else 200)


@bp.route("/sessions/<int:session_id>/move", methods=["GET", "POST"])
@staff_required
def move_session(session_id: int) -> ResponseReturnValue:
    session = session_service.get_session(session_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            session_service.reschedule(current_user, session, form_data())
        except InputError as err:
            errors = refused(err)
        except DomainError as err:
            flash_error(err)
            return redirect(url_for("sessions.session_detail", session_id=session.id))
        else:
            flash(_("Session %(number)d moved; its cases go back to assignment first.",
                    number=session.number), "success")  # fmt: skip
            return redirect(url_for("sessions.session_detail", session_id=session.id))
    if request.method == "POST":
        values: Any = request.form
    else:
        values = {
            "start_date": board_time(session.starts_at, session.board.timezone, "%Y-%m-%d"),
            "start_time": board_time(session.starts_at, session.board.timezone, "%H:%M"),
        }
    return render_template(
        "sessions/session_form.html",
        board=session.board,
        session=session,
        values=values,
        errors=errors,
    ), (422 if errors else 200)


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@staff_required
def cancel_session(session_id: int) -> ResponseReturnValue:
    session = session_service.get_session(session_id)
    if request.method == "GET":
        return render_template("sessions/cancel.html", session=session)
    try:
        session_service.cancel_session(current_user, session)
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("Session %(number)d cancelled; its cases go back to assignment first.",
                number=session.number), "info")  # fmt: skip
    return redirect(url_for("boards.detail", board_id=session.board_id))


@bp.post("/boards/generate")
@staff_required
def generate() -> ResponseReturnValue:
    created = session_service.generate_sessions()
    flash(_("%(num)d sessions created.", num=created), "success")
    return redirect(back_to("boards.index"))


@bp.post("/boards/assign")
@staff_required
def assign() -> ResponseReturnValue:
    report = assignment.assign_cases()
    flash(
        _("Assignment done: %(placed)d placed, %(flagged)d flagged, %(unplaced)d without a place.",
          placed=report.placed, flagged=report.flagged, unplaced=report.unplaced),
        "success",
    )  # fmt: skip
    return redirect(back_to("sessions.dashboard"))


def viewable_session(session_id: int) -> BoardSession:
    """The session, or 404 when it is missing or the user may not see it."""
    try:
        session = session_service.get_session(session_id)
    except NotFound:
        abort(404)
    if not session_access.can_view_session(current_user, session):
        abort(404)
    return session


@bp.get("/sessions/<int:session_id>")
@login_required
def session_detail(session_id: int) -> ResponseReturnValue:
    session = viewable_session(session_id)
    agenda = session.agenda
    can = session_access.actions_on(current_user, session)
    others = agenda_service.other_open_sessions(session) if can.edit_agenda else []
    return render_template(
        "sessions/session.html",
        session=session,
        board=session.board,
        agenda=agenda,
        linkable=seen_case_ids(current_user, (item.case_id for item in agenda)),
        order=session.order_of_business or order_of_business.order_of_business(session),
        order_final=session.order_of_business is not None,
        editable=can.edit_agenda,
        # Members and coordinators record outcomes in the review panel of the session room.
        can_discuss=can.decide,
        can_reschedule=can.reschedule,
        # Where a case may go, by day and hour in date order (the one list for every row).
        move_choices=[(other.id, session_choice(other)) for other in others],
        placeable=agenda_service.placeable_cases(session.board) if can.edit_agenda else [],
        attendance=rsvp.attendance(session, current_user),
        audience_choices=invites.audience_choices() if can.set_audience else [],
    )


def agenda_action(item_id: int, action: Callable[[AgendaItem], object]) -> ResponseReturnValue:
    """Run an agenda change for a coordinator; refusals are flashed, nothing changed."""
    item = agenda_service.get_item(item_id)
    session_id = item.session_id
    try:
        action(item)
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("Agenda updated."), "success")
    return redirect(url_for("sessions.session_detail", session_id=session_id))


@bp.post("/agenda/<int:item_id>/move")
@staff_required
def agenda_move(item_id: int) -> ResponseReturnValue:
    offset = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if offset is None:
        abort(400)
    return agenda_action(item_id, lambda item: agenda_service.move_item(current_user, item, offset))


@bp.post("/agenda/<int:item_id>/remove")
@staff_required
def agenda_remove(item_id: int) -> ResponseReturnValue:
    return agenda_action(item_id, lambda item: agenda_service.remove_by_hand(current_user, item))


@bp.post("/agenda/<int:item_id>/transfer")
@staff_required
def agenda_transfer(item_id: int) -> ResponseReturnValue:
    target_id = request.form.get("session_id", type=as_id)
    return agenda_action(
        item_id, lambda item: agenda_service.transfer(current_user, item, target_id)
    )


@bp.post("/sessions/<int:session_id>/place")
@staff_required
def agenda_place(session_id: int) -> ResponseReturnValue:
    session = session_service.get_session(session_id)
    try:
        item = agenda_service.place_case(
            current_user, session, request.form.get("case_id", type=as_id)
        )
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("Case %(code)s placed on the agenda.", code=item.case.code), "success")
    return redirect(url_for("sessions.session_detail", session_id=session.id))


@bp.get("/boards/dashboard")
@staff_required
def dashboard() -> ResponseReturnValue:
    return render_template(
        "sessions/dashboard.html",
        flags=assignment.open_flags(),
        held=agenda_service.held_cases(),
        counts=agenda_service.unplaced_counts(),
        quorum_warnings=invites.sessions_without_quorum(),
    )


@bp.post("/boards/flags/<int:flag_id>/extraordinary")
@staff_required
def flag_extraordinary(flag_id: int) -> ResponseReturnValue:
    flag = agenda_service.get_open_flag(flag_id)
    try:
        item = agenda_service.extraordinary_for_flag(current_user, flag)
    except DomainError as err:
        flash_error(err)
        return redirect(url_for("sessions.dashboard"))
    flash(_("Extraordinary session %(number)d created with case %(code)s.",
            number=item.session.number, code=item.case.code), "success")  # fmt: skip
    return redirect(url_for("sessions.session_detail", session_id=item.session_id))


@bp.post("/boards/cases/<int:case_id>/release")
@staff_required
def release(case_id: int) -> ResponseReturnValue:
    case = agenda_service.release_held(current_user, case_id)
    flash(_("Case %(code)s goes back to automatic assignment.", code=case.code), "success")
    return redirect(url_for("sessions.dashboard"))
