"""Board pages: everyone sees the boards; coordinators create them and keep their members."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from telemed.auth.decorators import roles_required
from telemed.auth.models import Discipline, Role
from telemed.auth.service import is_safe_next
from telemed.boards import labels as board_kind_labels
from telemed.boards import service
from telemed.boards.models import Board, SessionKind
from telemed.core.clock import now_utc
from telemed.core.errors import InputError
from telemed.core.flashing import refused
from telemed.core.schemas import as_page
from telemed.core.vocabulary import SPECIALTY_LABELS
from telemed.sessions import access as session_access
from telemed.sessions import labels as session_labels
from telemed.sessions import service as session_service

bp = Blueprint("boards", __name__)


staff_required = roles_required(Role.COORDINATOR, Role.ADMIN)


@bp.app_context_processor  # the session pages (another blueprint) use them too
def board_helpers() -> dict[str, Any]:
    return {
        "board_labels": {
            "kind": board_kind_labels.SESSION_KIND_LABELS,
            "status": session_labels.SESSION_STATUS_LABELS,
            "role": board_kind_labels.MEMBER_ROLE_LABELS,
            "outcome": session_labels.OUTCOME_LABELS,
            "flag": session_labels.FLAG_LABELS,
            "section": session_labels.SECTION_LABELS,
            "day_off_policy": board_kind_labels.DAY_OFF_POLICY_LABELS,
        },
        "moved_from": moved_from,
    }


def moved_from(session: Any, zone: str) -> date | None:
    """The day a regular session was due, when it is held on another (moved by hand or off a
    rest day); ``None`` otherwise."""
    key = session.occurrence_key
    if not key:
        return None
    due = date.fromisoformat(key[:10])
    return None if due == session.starts_at.astimezone(ZoneInfo(zone)).date() else due


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


@bp.get("/boards/")
@login_required
def index() -> ResponseReturnValue:
    return render_template("boards/list.html", boards=service.list_boards())


@bp.route("/boards/new", methods=["GET", "POST"])
@staff_required
def new() -> ResponseReturnValue:
    return save_board(None)


@bp.route("/boards/<int:board_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(board_id: int) -> ResponseReturnValue:
    return save_board(service.get_board(board_id))


def save_board(board: Board | None) -> ResponseReturnValue:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = board_form_data()
        try:
            saved = service.save_board(current_user, data, board)
        except InputError as err:
            errors = refused(err)
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
def detail(board_id: int) -> ResponseReturnValue:
    return render_detail(service.get_board(board_id))


def render_detail(
    board: Board, day_off_errors: dict[str, list[str]] | None = None
) -> ResponseReturnValue:
    """The board page; with errors beside the days-off form it answers 422."""
    return render_template(
        "boards/detail.html",
        board=board,
        upcoming=session_service.upcoming_sessions(board),
        past=session_service.past_sessions(board, request.args.get("page", 1, type=as_page)),
        visible=session_access.board_sessions_seen(current_user, board),
        days_off=service.coming_days_off(board),
        rest_days=service.coming_rest_days(board, str(get_locale())),
        manage_days_off=service.may_manage_days_off(current_user, board),
        day_off_errors=day_off_errors or {},
        day_off_values=request.form if day_off_errors else {},
    ), (422 if day_off_errors else 200)


@bp.post("/boards/<int:board_id>/days-off")
@staff_required
def add_days_off(board_id: int) -> ResponseReturnValue:
    """Mark days off; sessions planned on them are moved or cancelled at once."""
    board = service.get_board(board_id)
    data = form_data()
    affected = session_service.planned_on_days(board, data.get("first"), data.get("last"))
    try:
        marked = service.mark_days_off(current_user, board, data)
    except InputError as err:
        return render_detail(board, day_off_errors=refused(err))
    moved = sum(1 for s in affected if s.status.value != "cancelled")
    cancelled = len(affected) - moved
    message = ngettext("%(num)d day marked off.", "%(num)d days marked off.", len(marked))
    if affected:
        message += " " + _(
            "Sessions on them: %(moved)d moved, %(cancelled)d cancelled; their invitees are told.",
            moved=moved, cancelled=cancelled,
        )  # fmt: skip
    flash(message, "success")
    return redirect(url_for("boards.detail", board_id=board.id, _anchor="days-off"))


@bp.post("/boards/<int:board_id>/days-off/<int:day_off_id>/remove")
@staff_required
def remove_day_off(board_id: int, day_off_id: int) -> ResponseReturnValue:
    board = service.get_board(board_id)
    day_off = service.get_day_off(board, day_off_id)
    service.remove_day_off(current_user, day_off)
    message = _(
        "The board meets on that day again. Sessions cancelled for it stay cancelled; "
        "the next session generation fills the day if the board meets on it."
    )
    flash(message, "info")
    return redirect(url_for("boards.detail", board_id=board.id, _anchor="days-off"))


@bp.route("/boards/<int:board_id>/members", methods=["GET", "POST"])
@staff_required
def members(board_id: int) -> ResponseReturnValue:
    board = service.get_board(board_id)
    if request.method == "POST":
        try:
            member = service.add_member(current_user, board, form_data())
        except InputError as err:
            return render_members(board, errors=refused(err))
        flash(_("%(name)s joined the board.", name=member.user.name), "success")
        return redirect(url_for("boards.members", board_id=board.id))
    return render_members(board)


def render_members(
    board: Board,
    errors: dict[str, list[str]] | None = None,
    role_errors: dict[int, list[str]] | None = None,
) -> ResponseReturnValue:
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
def member_role(board_id: int, member_id: int) -> ResponseReturnValue:
    board = service.get_board(board_id)
    member = service.get_member(board, member_id)
    try:
        service.change_member_role(current_user, member, form_data())
    except InputError as err:
        return render_members(board, role_errors={member.id: refused(err).get("role", [])})
    flash(_("Role of %(name)s changed.", name=member.user.name), "success")
    return redirect(url_for("boards.members", board_id=board.id))


@bp.post("/boards/<int:board_id>/members/<int:member_id>/remove")
@staff_required
def member_remove(board_id: int, member_id: int) -> ResponseReturnValue:
    board = service.get_board(board_id)
    member = service.get_member(board, member_id)
    name = member.user.name
    service.remove_member(current_user, member)
    flash(_("%(name)s left the board.", name=name), "info")
    return redirect(url_for("boards.members", board_id=board.id))
