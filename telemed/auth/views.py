"""Login, logout, password change, profile (language and API tokens)."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from telemed.auth import service, tokens
from telemed.core import transaction
from telemed.core.errors import InputError
from telemed.extensions import limiter
from telemed.invites import feeds

bp = Blueprint("auth", __name__, url_prefix="/auth")


def login_limit() -> str:
    limit: str = current_app.config["LOGIN_RATE_LIMIT"]
    return limit


def login_limit_per_account() -> str:
    limit: str = current_app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"]
    return limit


def submitted_email() -> str:
    return "login:" + service.normalise_email(request.form.get("email", ""))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(login_limit_per_account, methods=["POST"], key_func=submitted_email)
def login() -> ResponseReturnValue:
    next_url = request.values.get("next")
    if not service.is_safe_next(next_url):
        next_url = None
    if current_user.is_authenticated:
        return redirect(next_url or url_for("home.index"))
    error = None
    if request.method == "POST":
        user = service.authenticate(request.form.get("email", ""), request.form.get("password", ""))
        if user is not None:
            login_user(user, remember=bool(request.form.get("remember")))
            session.pop("locale", None)
            return redirect(next_url or url_for("home.index"))
        error = _("Wrong email or password, or the account is inactive.")
        transaction.keep_on_error()  # the refused attempt stays in the audit log
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, next=next_url), status


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            data = {k: v for k, v in request.form.items() if k != "csrf_token"}
            service.change_password(current_user, data)
        except InputError as err:
            errors = err.errors
        else:
            login_user(current_user._get_current_object())  # keep this session only
            flash(_("Your password was changed. Other sessions were logged out."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/password.html", errors=errors), 422 if errors else 200


@bp.get("/profile")
@login_required
def profile() -> ResponseReturnValue:
    return render_template(
        "auth/profile.html",
        tokens=tokens.active_tokens(current_user),
        new_secret=session.pop("new_token_secret", None),
        feed=feeds.feed_of(current_user),
        new_feed_url=session.pop("new_feed_url", None),  # shown once (feed_views.regenerate)
    )


@bp.post("/profile/timezone")
@login_required
def set_timezone() -> ResponseReturnValue:
    try:
        service.set_timezone(current_user, request.form.get("timezone"))
    except InputError as err:
        tokens_ = tokens.active_tokens(current_user)
        feed = feeds.feed_of(current_user)
        return render_template(
            "auth/profile.html", tokens=tokens_, feed=feed, errors=err.errors
        ), 422
    flash(_("Time zone saved."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/tokens")
@login_required
def create_token() -> ResponseReturnValue:
    _token, secret = tokens.create_token(current_user, request.form.get("name", ""))
    session["new_token_secret"] = secret  # shown once on the next page, then forgotten
    flash(_("Token created. Copy it now: it will not be shown again."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    tokens.revoke_token(current_user, token_id)
    flash(_("Token revoked."), "info")
    return redirect(url_for("auth.profile"))


@bp.post("/language")
def set_language() -> ResponseReturnValue:
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            service.set_locale(current_user, locale)
    target = request.form.get("next")
    return redirect(target if service.is_safe_next(target) else url_for("home.index"))
