"""Case pages: list, submit, read, edit, lifecycle buttons, attachments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from telemed.cases import service, storage
from telemed.cases.access import get_visible_attachment, get_visible_case, is_case_centre_doctor
from telemed.cases.labels import ACTION_BUTTONS, ACTION_HINTS, ACTION_MESSAGE_LABELS
from telemed.cases.listing import case_page
from telemed.cases.models import Case, CaseStatus
from telemed.cases.schemas import CaseInputSchema
from telemed.centres.service import list_centres
from telemed.core.errors import Forbidden, InputError, InvalidTransition
from telemed.core.flashing import flash_error, refused
from telemed.sessions.agenda import case_scheduling
from telemed.timeline.service import case_timeline

bp = Blueprint("cases", __name__, url_prefix="/cases")


def form_data() -> dict[str, Any]:
    """The case form as the schema expects it (an unchecked box sends nothing)."""
    data: dict[str, Any] = {
        k: v for k, v in request.form.items() if k not in ("csrf_token", "action")
    }
    data["high_complexity"] = "high_complexity" in request.form
    return data


def uploaded_files() -> list[tuple[str, bytes]]:
    return [(f.filename or "", f.read()) for f in request.files.getlist("file") if f.filename]


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    filters, errors = service.parse_list_filters(request.args)
    try:
        page = case_page(current_user, filters)
    except InputError as err:  # a page link that is no longer valid: the first page
        errors = {**errors, **err.errors}
        page = case_page(current_user, {**filters, "after": None})
    centres = list_centres() if current_user.is_staff else []
    return render_template(
        "cases/list.html", page=page, filters=filters, centres=centres, errors=errors,
        values=request.args.to_dict(),  # a dict: a missing key is no exception (61 a page)
    ), 422 if errors else 200  # fmt: skip


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    if not current_user.is_referring:
        abort(403)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        submit = request.form.get("action") == "submit"
        data = form_data()
        material = data.pop("material", None)
        try:
            case = service.create_case(
                current_user, data, submit=submit, files=uploaded_files(), material=material
            )
        except InputError as err:
            errors = refused(err)
        else:
            if submit:
                flash(_("Case %(code)s was sent to the board.", code=case.code), "success")
            else:
                flash(_("Draft %(code)s was saved.", code=case.code), "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    return render_form(None, errors)


def render_form(
    case: Case | None, errors: dict[str, list[str]], *, from_case: bool = False
) -> ResponseReturnValue:
    """The form, refilled with what was typed (after an error) or the case as saved (also
    when the case as saved was refused: ``from_case``)."""
    if request.method == "POST" and not from_case:
        values: dict[str, Any] = request.form.to_dict()
    elif case is not None:
        values = {k: v for k, v in CaseInputSchema().dump(case).items() if v is not None}
    else:
        values = {}
    status = 422 if errors else 200
    return render_template(
        "cases/form.html", case=case, values=values, errors=errors,
        chosen_files=chosen_files() if errors else [],
        today=service.today_for(current_user),  # the earliest deadline, on the doctor's wall
    ), status  # fmt: skip


def chosen_files() -> list[str]:
    """The names of the files sent with a refused form (the page asks for them again)."""
    return [f.filename for f in request.files.getlist("file") if f.filename]


@dataclass(frozen=True)
class FormError:
    """A form of the case page that was refused: shown again with its errors beside its
    fields and what was typed or chosen kept. ``form`` names it (``action-withdraw``,
    ``upload``, ``adherence-<recommendation id>``)."""

    form: str
    errors: dict[str, list[str]]
    values: dict[str, Any] = field(default_factory=dict)
    files: tuple[str, ...] = ()  # names of files chosen, which must be chosen again


@dataclass(frozen=True)
class NextStep:
    """A lifecycle step as the case page offers it: a labelled button with its own form."""

    name: str
    button: str
    hint: str
    message_label: str | None
    confirm: bool


def next_steps(case: Case) -> list[NextStep]:
    """The steps the viewer may take in the case's state; withdrawing last (it is confirmed
    on a second button)."""
    steps = [
        NextStep(
            name=action.name,
            button=str(ACTION_BUTTONS[action.name]),
            hint=str(ACTION_HINTS[action.name]),
            message_label=str(ACTION_MESSAGE_LABELS[action.name])
            if action.message_required
            else None,
            confirm=action.name == "withdraw",
        )
        for action in service.available_actions(current_user, case)
    ]
    return sorted(steps, key=lambda step: step.confirm)


@bp.get("/<int:case_id>")
@login_required
def detail(case_id: int) -> ResponseReturnValue:
    case = get_visible_case(current_user, case_id)
    service.record_view(current_user, case)
    return render_detail(case)


def render_detail(case: Case, refused_form: FormError | None = None) -> ResponseReturnValue:
    """The case page; after a refused form (answered 422) that form shows its errors."""
    return render_template(
        "cases/detail.html",
        case=case,
        actions=next_steps(case),
        can_edit=is_case_centre_doctor(current_user, case)
        and case.status in service.EDITABLE_STATUSES,
        can_attach=(is_case_centre_doctor(current_user, case) or current_user.is_staff)
        and case.status in service.OPEN_STATUSES,
        scheduling=case_scheduling(case.id),
        timeline=case_timeline(case, current_user),
        refused_form=refused_form,
    ), 422 if refused_form else 200


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@login_required
def edit(case_id: int) -> ResponseReturnValue:
    case = get_visible_case(current_user, case_id)
    if not (is_case_centre_doctor(current_user, case) and case.status in service.EDITABLE_STATUSES):
        abort(403)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            service.update_case(current_user, case, form_data())
        except InputError as err:
            errors = refused(err)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    return render_form(case, errors)


@bp.post("/<int:case_id>/actions/<action>")
@login_required
def act(case_id: int, action: str) -> ResponseReturnValue:
    case = get_visible_case(current_user, case_id)
    message = request.form.get("message")
    try:
        service.transition(current_user, case, action, message)
    except InputError as err:
        errors = refused(err)
        if set(errors) - {"message"} and is_case_centre_doctor(current_user, case):
            # Sending an incomplete case: its form, each missing field marked.
            return render_form(case, errors, from_case=True)
        # e.g. no reason given: said beside the box, what was typed kept
        return render_detail(case, FormError(f"action-{action}", errors, {"message": message}))
    except (InvalidTransition, Forbidden) as err:  # e.g. a stale page
        flash_error(err)
        return redirect(url_for("cases.detail", case_id=case_id))
    if case.status is CaseStatus.SUBMITTED:
        flash(_("Case %(code)s was sent to the board.", code=case.code), "success")
    else:
        flash(_("Case %(code)s updated.", code=case.code), "success")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.post("/<int:case_id>/attachments")
@login_required
def upload(case_id: int) -> ResponseReturnValue:
    case = get_visible_case(current_user, case_id)
    material = request.form.get("material")
    try:
        service.add_attachments(current_user, case, uploaded_files(), material=material)
    except InputError as err:  # beside the file field; the files must be chosen again
        errors = refused(err)
        form = FormError("upload", errors, {"material": material}, tuple(chosen_files()))
        return render_detail(case, form)
    flash(_("File attached."), "success")
    return redirect(url_for("cases.detail", case_id=case_id))


@bp.post("/<int:case_id>/attachments/<int:attachment_id>/material")
@login_required
def attachment_material(case_id: int, attachment_id: int) -> ResponseReturnValue:
    """Say what a file already attached is (pathology report, immunophenotype, ...)."""
    attachment = get_visible_attachment(current_user, case_id, attachment_id)
    try:
        service.set_material(current_user, attachment, {"material": request.form.get("material")})
    except (InputError, InvalidTransition) as err:  # forbidden is a 403 page
        flash_error(err)
    else:
        flash(_("Saved: %(file)s.", file=attachment.filename), "success")
    return redirect(url_for("cases.detail", case_id=case_id) + "#attachments")


@bp.get("/<int:case_id>/attachments/<int:attachment_id>")
@login_required
def download_attachment(case_id: int, attachment_id: int) -> ResponseReturnValue:
    """The file from whichever store holds it (this server's folder or the database), in
    chunks; its SHA-256 is its ETag. Bytes missing from the store answer 404 (logged) and the
    download is not audited."""
    attachment = get_visible_attachment(current_user, case_id, attachment_id)
    content = storage.current_store().open(attachment.sha256)
    if content is None:
        current_app.logger.error(
            "attachment %s: its bytes (%s) are not in the %s store",
            attachment.id, attachment.sha256, current_app.config["ATTACHMENT_STORE"],
        )  # fmt: skip
        abort(404)
    service.record_download(current_user, attachment)
    response = send_file(
        content,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
        etag=attachment.sha256,
        max_age=0,
    )
    if response.status_code == 200:  # (not a 304 to a matching If-None-Match)
        response.content_length = attachment.size
    return response
