"""Board, session and agenda pages: everyone sees the boards; coordinators run them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from telemed.auth.decorators import roles_required
from telemed.auth.models import Discipline, Role
from telemed.auth.service import is_safe_next
from telemed.boards import assignment, labels, service
from telemed.boards import sessions as session_service
from telemed.boards.models import (
    Board,
    BoardSession,
    SchedulingFlag,
    SessionKind,
    SessionStatus,
)
from telemed.cases.access import visible_cases
from telemed.cases.labels import SPECIALTY_LABELS
from telemed.cases.models import Case
from telemed.core.clock import now_utc
from telemed.core.errors import DomainError, InputError, NotFound
from telemed.core.flashing import flash_error
from telemed.extensions import db
from telemed.invites import rsvp
from telemed.invites import service as invites

bp = Blueprint("boards", __name__)
staff_required = roles_required(Role.COORDINATOR, Role.ADMIN)


@bp.context_processor
def board_helpers() -> dict[str, Any]:
    return {
        "board_labels": {
            "kind": labels.SESSION_KIND_LABELS,
            "status": labels.SESSION_STATUS_LABELS,
            "role": labels.MEMBER_ROLE_LABELS,
            "outcome": labels.OUTCOME_LABELS,
            "flag": labels.FLAG_LABELS,
            "section": labels.SECTION_LABELS,
        },
        "board_time": board_time,
    }


def board_time(value: datetime, zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC instant on the board's own clock (the zone a coordinator types times in)."""
    return value.astimezone(ZoneInfo(zone)).strftime(fmt)


def form_data(*lists: str) -> dict[str, Any]:
    """The posted form without the CSRF token; ``lists`` name multi-valued fields."""
    data: dict[str, Any] = {
        k: v for k, v in request.form.items() if k != "csrf_token" and k not in lists
    }
    for name in lists:
        data[name] = request.form.getlist(name)
    return data


def back_to(endpoint: str) -> str:
    """The page the button was on (``next``), if it is one of ours."""
    target = request.form.get("next")
    return target if is_safe_next(target) else url_for(endpoint)


# --- boards ---------------------------------------------------------------------------


@bp.get("/boards/")
@login_required
def index():  # type: ignore[no-untyped-def]
    return render_template("boards/list.html", boards=service.list_boards())


@bp.route("/boards/new", methods=["GET", "POST"])
@staff_required
def new():  # type: ignore[no-untyped-def]
    return save_board(None)


@bp.route("/boards/<int:board_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(board_id: int):  # type: ignore[no-untyped-def]
    return save_board(service.get_board(board_id))


def save_board(board: Board | None):  # type: ignore[no-untyped-def]
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = board_form_data()
        try:
            saved = service.save_board(current_user, data, board)
        except InputError as err:
            db.session.rollback()
            errors = err.errors
        else:
            flash(_("Board %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("boards.detail", board_id=saved.id))
        values: dict[str, Any] = board_form_data()
    elif board is not None:
        values = service.form_values(board)
    else:
        values = {
            "kind": SessionKind.CASE_REVIEW.value, "timezone": "America/Mexico_City",
            "rrule": "FREQ=WEEKLY;BYDAY=TH", "start_time": "18:00",
            "start_date": now_utc().date().isoformat(), "duration_minutes": 90,
            "minutes_per_case": 10, "cutoff_days_before": 2, "cutoff_time": "23:59",
            "room_url_pattern": "https://video.telemed.local/comite-{board}/sesion-{session}",
            "specialties": [], "quorum_disciplines": [], "active": True,
        }  # fmt: skip
    return render_template(
        "boards/form.html",
        board=board,
        values=values,
        errors=errors,
        coordinators=[(u.id, u.name) for u in service.coordinators()],
        specialty_choices=list(SPECIALTY_LABELS.items()),
        discipline_choices=discipline_choices(),
    ), (422 if errors else 200)


# The required-material grid posts one checkbox list per kind of request.
MATERIAL_PREFIX = "required_material."


def board_form_data() -> dict[str, Any]:
    """The board form as the schema expects it: lists, the active box, the material grid."""
    data = {
        k: v
        for k, v in form_data("specialties", "quorum_disciplines").items()
        if not k.startswith(MATERIAL_PREFIX)
    }
    data["active"] = "active" in request.form
    data["required_material"] = {
        name.removeprefix(MATERIAL_PREFIX): request.form.getlist(name)
        for name in request.form
        if name.startswith(MATERIAL_PREFIX)
    }
    return data


def discipline_choices() -> list[tuple[Discipline, Any]]:
    from telemed.auth.labels import DISCIPLINE_LABELS

    return list(DISCIPLINE_LABELS.items())


@bp.get("/boards/<int:board_id>")
@login_required
def detail(board_id: int):  # type: ignore[no-untyped-def]
    board = service.get_board(board_id)
    return render_template(
        "boards/detail.html",
        board=board,
        upcoming=service.upcoming_sessions(board),
        past=service.past_sessions(board, request.args.get("page", 1, type=int)),
        visible=service.visible_session_ids(current_user, board),
    )


# --- membership -----------------------------------------------------------------------


@bp.route("/boards/<int:board_id>/members", methods=["GET", "POST"])
@staff_required
def members(board_id: int):  # type: ignore[no-untyped-def]
    board = service.get_board(board_id)
    if request.method == "POST":
        try:
            member = service.add_member(current_user, board, form_data())
        except InputError as err:
            db.session.rollback()
            return render_members(board, errors=err.errors)
        flash(_("%(name)s joined the board.", name=member.user.name), "success")
        return redirect(url_for("boards.members", board_id=board.id))
    return render_members(board)


def render_members(  # type: ignore[no-untyped-def]
    board: Board,
    errors: dict[str, list[str]] | None = None,
    role_errors: dict[int, list[str]] | None = None,
):
    """The members page; with errors (beside the add form or a role select) it answers 422."""
    from telemed.auth.labels import ROLE_LABELS

    failed = bool(errors or role_errors)
    return render_template(
        "boards/members.html",
        board=board,
        errors=errors or {},
        role_errors=role_errors or {},
        values=request.form if errors else {},
        member_options=[
            (u.id, f"{u.name} · {ROLE_LABELS[u.role]}") for u in service.member_candidates(board)
        ],
        discipline_choices=discipline_choices(),
    ), (422 if failed else 200)


@bp.post("/boards/<int:board_id>/members/<int:member_id>/role")
@staff_required
def member_role(board_id: int, member_id: int):  # type: ignore[no-untyped-def]
    board = service.get_board(board_id)
    member = service.get_member(board, member_id)
    try:
        service.change_member_role(current_user, member, form_data())
    except InputError as err:
        db.session.rollback()
        return render_members(board, role_errors={member.id: err.errors.get("role", [])})
    flash(_("Role of %(name)s changed.", name=member.user.name), "success")
    return redirect(url_for("boards.members", board_id=board.id))


@bp.post("/boards/<int:board_id>/members/<int:member_id>/remove")
@staff_required
def member_remove(board_id: int, member_id: int):  # type: ignore[no-untyped-def]
    board = service.get_board(board_id)
    member = service.get_member(board, member_id)
    name = member.user.name
    service.remove_member(current_user, member)
    flash(_("%(name)s left the board.", name=name), "info")
    return redirect(url_for("boards.members", board_id=board.id))


# --- sessions -------------------------------------------------------------------------


@bp.route("/boards/<int:board_id>/sessions/new", methods=["GET", "POST"])
@staff_required
def new_session(board_id: int):  # type: ignore[no-untyped-def]
    board = service.get_board(board_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            session = service.schedule_extraordinary(current_user, board, form_data())
        except InputError as err:
            db.session.rollback()
            errors = err.errors
        else:
            flash(_("Extraordinary session %(number)d created.", number=session.number),
                  "success")  # fmt: skip
            return redirect(url_for("boards.session_detail", session_id=session.id))
    values = (
        request.form if request.method == "POST" else {"start_time": service.usual_start(board)}
    )
    return render_template(
        "boards/session_form.html", board=board, session=None, values=values, errors=errors
    ), (422 if errors else 200)


@bp.route("/sessions/<int:session_id>/move", methods=["GET", "POST"])
@staff_required
def move_session(session_id: int):  # type: ignore[no-untyped-def]
    session = session_service.get_session(session_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            service.reschedule(current_user, session, form_data())
        except InputError as err:
            db.session.rollback()
            errors = err.errors
        except DomainError as err:
            flash_error(err)
            return redirect(url_for("boards.session_detail", session_id=session.id))
        else:
            flash(_("Session %(number)d moved; its cases go back to assignment first.",
                    number=session.number), "success")  # fmt: skip
            return redirect(url_for("boards.session_detail", session_id=session.id))
    if request.method == "POST":
        values: Any = request.form
    else:
        values = {
            "start_date": board_time(session.starts_at, session.board.timezone, "%Y-%m-%d"),
            "start_time": board_time(session.starts_at, session.board.timezone, "%H:%M"),
        }
    return render_template(
        "boards/session_form.html",
        board=session.board,
        session=session,
        values=values,
        errors=errors,
    ), (422 if errors else 200)


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@staff_required
def cancel_session(session_id: int):  # type: ignore[no-untyped-def]
    session = session_service.get_session(session_id)
    if request.method == "GET":
        return render_template("boards/cancel.html", session=session)
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
def generate():  # type: ignore[no-untyped-def]
    created = session_service.generate_sessions()
    flash(_("%(num)d sessions created.", num=created), "success")
    return redirect(back_to("boards.index"))


@bp.post("/boards/assign")
@staff_required
def assign():  # type: ignore[no-untyped-def]
    report = assignment.assign_cases()
    flash(
        _("Assignment done: %(placed)d placed, %(flagged)d flagged, %(unplaced)d without a place.",
          placed=report.placed, flagged=report.flagged, unplaced=report.unplaced),
        "success",
    )  # fmt: skip
    return redirect(back_to("boards.dashboard"))


# --- a session and its agenda ---------------------------------------------------------


def viewable_session(session_id: int) -> BoardSession:
    """The session, or 404 when it is missing or the user may not see it."""
    try:
        session = session_service.get_session(session_id)
    except NotFound:
        abort(404)
    if not service.can_view_session(current_user, session):
        abort(404)
    return session


def agenda_open(session: BoardSession) -> bool:
    return (
        session.kind is SessionKind.CASE_REVIEW
        and session.status is SessionStatus.PLANNED
        and session.cutoff_at > now_utc()
    )


@bp.get("/sessions/<int:session_id>")
@login_required
def session_detail(session_id: int):  # type: ignore[no-untyped-def]
    session = viewable_session(session_id)
    agenda = session.agenda
    case_ids = [item.case_id for item in agenda]
    linkable = set(
        db.session.scalars(
            visible_cases(current_user).with_only_columns(Case.id).where(Case.id.in_(case_ids))
        )
    )
    editable = current_user.is_staff and agenda_open(session)
    now = now_utc()
    return render_template(
        "boards/session.html",
        session=session,
        board=session.board,
        agenda=agenda,
        linkable=linkable,
        order=session.order_of_business or session_service.order_of_business(session),
        order_final=session.order_of_business is not None,
        editable=editable,
        # Members and coordinators record outcomes in the review panel of the session room.
        can_discuss=(current_user.is_staff or service.is_member(current_user, session.board_id))
        and session.status in (SessionStatus.PLANNED, SessionStatus.AGENDA_CLOSED)
        and now >= session.starts_at - session_service.DECIDE_FROM,
        can_reschedule=current_user.is_staff
        and session.status in (SessionStatus.PLANNED, SessionStatus.AGENDA_CLOSED),
        other_sessions=[
            s for s in assignment.open_sessions(session.board, now) if s.id != session.id
        ]
        if editable
        else [],
        placeable=service.placeable_cases(session.board) if editable else [],
        attendance=rsvp.attendance(session, current_user),
        audience_choices=invites.audience_choices()
        if current_user.is_staff
        and session.kind is not SessionKind.CASE_REVIEW
        and session.status in (SessionStatus.PLANNED, SessionStatus.AGENDA_CLOSED)
        else [],
    )


def agenda_action(item_id: int, action: Any) -> Any:
    """Run an agenda change for a coordinator; refusals are flashed, nothing changed."""
    item = assignment.get_item(item_id)
    session_id = item.session_id
    try:
        action(item)
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("Agenda updated."), "success")
    return redirect(url_for("boards.session_detail", session_id=session_id))


@bp.post("/agenda/<int:item_id>/move")
@staff_required
def agenda_move(item_id: int):  # type: ignore[no-untyped-def]
    offset = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if offset is None:
        abort(400)
    return agenda_action(item_id, lambda item: assignment.move_item(current_user, item, offset))


@bp.post("/agenda/<int:item_id>/remove")
@staff_required
def agenda_remove(item_id: int):  # type: ignore[no-untyped-def]
    return agenda_action(item_id, lambda item: assignment.remove_by_hand(current_user, item))


@bp.post("/agenda/<int:item_id>/transfer")
@staff_required
def agenda_transfer(item_id: int):  # type: ignore[no-untyped-def]
    target_id = request.form.get("session_id", type=int)

    def transfer(item: Any) -> None:
        target = db.session.get(BoardSession, target_id) if target_id else None
        if target is None or target.board_id != item.session.board_id:
            raise InputError({"session_id": [_("Choose another session of this board.")]})
        assignment.place_by_hand(current_user, item.case, target)

    return agenda_action(item_id, transfer)


@bp.post("/sessions/<int:session_id>/place")
@staff_required
def agenda_place(session_id: int):  # type: ignore[no-untyped-def]
    session = session_service.get_session(session_id)
    case_id = request.form.get("case_id", type=int)
    case = db.session.get(Case, case_id) if case_id else None
    try:
        if case is None:
            raise InputError({"case_id": [_("Choose a case.")]})
        assignment.place_by_hand(current_user, case, session)
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("Case %(code)s placed on the agenda.", code=case.code), "success")
    return redirect(url_for("boards.session_detail", session_id=session.id))


# --- coordinator dashboard ------------------------------------------------------------


@bp.get("/boards/dashboard")
@staff_required
def dashboard():  # type: ignore[no-untyped-def]
    return render_template(
        "boards/dashboard.html",
        flags=assignment.open_flags(),
        held=service.held_cases(),
        counts=service.unplaced_counts(),
        quorum_warnings=invites.sessions_without_quorum(),
    )


@bp.post("/boards/flags/<int:flag_id>/extraordinary")
@staff_required
def flag_extraordinary(flag_id: int):  # type: ignore[no-untyped-def]
    flag = db.session.scalar(
        select(SchedulingFlag).where(
            SchedulingFlag.id == flag_id, SchedulingFlag.resolved_at.is_(None)
        )
    )
    if flag is None:
        abort(404)
    try:
        item = assignment.extraordinary_for_flag(current_user, flag)
    except DomainError as err:
        flash_error(err)
        return redirect(url_for("boards.dashboard"))
    flash(_("Extraordinary session %(number)d created with case %(code)s.",
            number=item.session.number, code=item.case.code), "success")  # fmt: skip
    return redirect(url_for("boards.session_detail", session_id=item.session_id))


@bp.post("/boards/cases/<int:case_id>/release")
@staff_required
def release(case_id: int):  # type: ignore[no-untyped-def]
    case = db.session.get(Case, case_id)
    if case is None:
        abort(404)
    assignment.release_hold(current_user, case)
    flash(_("Case %(code)s goes back to automatic assignment.", code=case.code), "success")
    return redirect(url_for("boards.dashboard"))
