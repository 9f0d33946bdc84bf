"""The landing page: where each role starts."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    return redirect(url_for("cases.index"))


@bp.get("/login")
def login() -> ResponseReturnValue:
    """The address people type: the login page lives at ``/auth/login`` (``next`` kept)."""
    return redirect(url_for("auth.login", next=request.args.get("next")))


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Browsers and bookmarks that ask the old address get the icon the pages link."""
    return redirect(url_for("static", filename="favicon.svg"))
