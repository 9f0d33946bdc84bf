"""Administrators manage accounts: create, edit, deactivate and reactivate."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from telemed.auth import second_factor, service
from telemed.auth.decorators import admin_required
from telemed.auth.models import User
from telemed.centres.service import list_centres
from telemed.core.errors import InputError
from telemed.core.flashing import refused
from telemed.core.schemas import as_page

bp = Blueprint("users_admin", __name__, url_prefix="/admin/users")


def form_data() -> dict[str, Any]:
    data: dict[str, Any] = {k: v for k, v in request.form.items() if k != "csrf_token"}
    data["active"] = "active" in request.form
    return data


@bp.get("/")
@admin_required
def index() -> ResponseReturnValue:
    page = service.list_users(request.args.get("page", 1, type=as_page))
    return render_template("admin/users.html", page=page)


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new() -> ResponseReturnValue:
    return save(None)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(user_id: int) -> ResponseReturnValue:
    return save(service.get_user(user_id))


def save(user: User | None) -> ResponseReturnValue:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            if user is None:
                saved = service.create_user(current_user, form_data())
            else:
                saved = service.update_user(current_user, user, form_data())
        except InputError as err:
            errors = refused(err)
        else:
            flash(_("Account %(email)s saved.", email=saved.email), "success")
            return redirect(url_for("users_admin.index"))
    return render_template(
        "admin/user_form.html",
        user=user,
        values=request.form if request.method == "POST" else None,
        errors=errors,
        centre_choices=[(c.code, f"{c.code} · {c.name}") for c in list_centres()],
    ), (422 if errors else 200)


@bp.post("/<int:user_id>/active")
@admin_required
def set_active(user_id: int) -> ResponseReturnValue:
    user = service.get_user(user_id)
    active = request.form.get("active") == "1"
    try:
        service.set_active(current_user, user, active)
    except InputError as err:
        flash(" ".join(m for msgs in refused(err).values() for m in msgs), "danger")
    else:
        message = _("Account reactivated.") if active else _("Account deactivated.")
        flash(message, "success")
    return redirect(url_for("users_admin.index"))


@bp.post("/<int:user_id>/second-factor/reset")
@admin_required
def reset_second_factor(user_id: int) -> ResponseReturnValue:
    """A user lost their phone: remove their second factor and end their sessions."""
    user = service.get_user(user_id)
    second_factor.reset(current_user, user)
    flash(
        _("The second factor of %(email)s was removed and their sessions ended.", email=user.email),
        "success",
    )
    return redirect(url_for("users_admin.edit", user_id=user.id))
