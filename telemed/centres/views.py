"""Centre pages: everyone may look; administrators create and edit."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from telemed.auth.decorators import admin_required
from telemed.centres import service
from telemed.centres.models import CAPABILITY_FLAGS, Centre
from telemed.centres.schemas import MEXICAN_STATES
from telemed.core.errors import InputError
from telemed.core.flashing import refused

bp = Blueprint("centres", __name__, url_prefix="/centres")


def form_data() -> dict[str, Any]:
    data: dict[str, Any] = {k: v for k, v in request.form.items() if k != "csrf_token"}
    for flag in (*CAPABILITY_FLAGS, "active"):
        data[flag] = flag in request.form
    return data


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    return render_template("centres/list.html", centres=service.list_centres())


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new() -> ResponseReturnValue:
    return save(None)


@bp.route("/<int:centre_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(centre_id: int) -> ResponseReturnValue:
    return save(service.get_centre(centre_id))


def save(centre: Centre | None) -> ResponseReturnValue:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            saved = service.save_centre(current_user, form_data(), centre)
        except InputError as err:
            errors = refused(err)
        else:
            flash(_("Centre %(code)s saved.", code=saved.code), "success")
            return redirect(url_for("centres.index"))
    return render_template(
        "centres/form.html",
        centre=centre,
        values=request.form if request.method == "POST" else None,
        errors=errors,
        state_choices=[(state, state) for state in MEXICAN_STATES],
    ), (422 if errors else 200)
