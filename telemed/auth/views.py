"""Login (password, then a second factor when the account has one), logout, password
change, the second factor's set-up, and the profile (language, login sessions, API tokens)."""

from __future__ import annotations

from typing import Any

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
from flask_login import current_user, login_required

from telemed.auth import login as auth_login
from telemed.auth import second_factor as second_factor_service
from telemed.auth import service, sessions, tokens
from telemed.auth.models import User
from telemed.core import transaction
from telemed.core.errors import InputError
from telemed.core.flashing import flash_error, refused
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
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("home.index"))
    error = None
    if request.method == "POST":
        user = service.authenticate(request.form.get("email", ""), request.form.get("password", ""))
        if user is not None:
            remember = bool(request.form.get("remember"))
            if user.has_second_factor:
                auth_login.hold(user, remember, next_url, enrol=False)
                return redirect(url_for("auth.second_factor"))
            if second_factor_service.required_for(user):
                auth_login.hold(user, remember, next_url, enrol=True)
                return redirect(url_for("auth.enrol"))
            auth_login.begin(user, remember)
            return redirect(next_url or url_for("home.index"))
        error = _("Wrong email or password, or the account is inactive.")
        transaction.keep_on_error()  # the refused attempt stays in the audit log
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, next=next_url), status


def safe_next(target: str | None) -> str | None:
    return target if service.is_safe_next(target) else None


def second_factor_limit() -> str:
    limit: str = current_app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"]
    return limit


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(second_factor_limit, methods=["POST"], key_func=auth_login.held_user_id)
def second_factor() -> ResponseReturnValue:
    """After the password: the code from the authenticator app, or a recovery code."""
    held = auth_login.held(enrol=False)
    if held is None:
        flash(_("Log in again: the time to enter the code ran out."), "warning")
        return redirect(url_for("auth.login"))
    user, state = held
    error = None
    if request.method == "POST":
        how = second_factor_service.check_code(user, request.form.get("code", ""))
        if how is not None:
            auth_login.begin(user, bool(state.get("remember")), how)
            if how == "recovery":
                left = second_factor_service.recovery_codes_left(user)
                flash(_("You used a recovery code; %(left)s are left.", left=left), "warning")
            return redirect(safe_next(state.get("next")) or url_for("home.index"))
        error = _("That code is not right. Enter the 6-digit code your app shows now, or a "
                  "recovery code.")  # fmt: skip
        transaction.keep_on_error()  # the failed code stays in the audit log
    return render_template("auth/second_factor.html", error=error), 401 if error else 200


@bp.route("/second-factor/setup", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def enrol() -> ResponseReturnValue:
    """Set up the authenticator app: a QR code and the secret, confirmed by a first code; then
    the recovery codes, shown this once. Serves a logged-in user, and one whose role needs a
    second factor right after the password (the login finishes here)."""
    held = None if current_user.is_authenticated else auth_login.held(enrol=True)
    if not current_user.is_authenticated and held is None:
        return redirect(url_for("auth.login"))
    user: User = current_user._get_current_object() if held is None else held[0]
    if user.has_second_factor:
        return redirect(url_for("auth.profile"))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            codes = second_factor_service.confirm_enrolment(user, request.form.get("code", ""))
        except InputError as err:
            errors = refused(err)
        else:
            if held is not None:
                auth_login.begin(user, bool(held[1].get("remember")), "totp")
                done_url = safe_next(held[1].get("next")) or url_for("home.index")
            else:
                record = auth_login.current_login_session()
                if record is not None:
                    sessions.confirm_second_factor(record)
                done_url = url_for("auth.profile")
            return render_template("auth/recovery_codes.html", codes=codes, done_url=done_url)
    secret = second_factor_service.pending_secret(user)
    uri = second_factor_service.provisioning_uri(user, secret)
    return render_template(
        "auth/enrol.html",
        qr=second_factor_service.qr_svg(uri),
        secret=second_factor_service.grouped(secret),
        required=second_factor_service.required_for(user),
        errors=errors,
    ), 422 if errors else 200


@bp.post("/second-factor/disable")
@login_required
def disable_second_factor() -> ResponseReturnValue:
    try:
        done = second_factor_service.disable(current_user, request.form.get("code", ""))
    except InputError as err:
        flash_error(err)
        return redirect(url_for("auth.profile"))
    if done:
        flash(_("The second factor is off. You log in with your password alone."), "info")
    else:  # the failed code is audited (the redirect keeps it)
        flash(_("That code is not right; the second factor stays on."), "danger")
    return redirect(url_for("auth.profile"))


@bp.post("/second-factor/recovery-codes")
@login_required
def renew_recovery_codes() -> ResponseReturnValue:
    if not current_user.has_second_factor:
        return redirect(url_for("auth.profile"))
    codes = second_factor_service.regenerate_recovery_codes(
        current_user, request.form.get("code", "")
    )
    if codes is None:
        flash(_("That code is not right; your recovery codes did not change."), "danger")
        return redirect(url_for("auth.profile"))
    return render_template(
        "auth/recovery_codes.html", codes=codes, done_url=url_for("auth.profile")
    )


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    record = auth_login.current_login_session()
    if record is not None:
        sessions.end(record)
    auth_login.end_current()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            data = {k: v for k, v in request.form.items() if k != "csrf_token"}
            service.change_password(current_user, data, auth_login.current_login_session())
        except InputError as err:
            errors = err.errors
        else:
            flash(_("Your password was changed. Other sessions were logged out."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/password.html", errors=errors), 422 if errors else 200


def profile_page(status: int = 200, **context: Any) -> ResponseReturnValue:
    """The profile: account, time zone, second factor, login sessions, API tokens, feed."""
    return render_template(
        "auth/profile.html",
        tokens=tokens.active_tokens(current_user),
        feed=feeds.feed_of(current_user),
        login_sessions=sessions.active_sessions(current_user),
        this_session=auth_login.current_login_session(),
        browser_of=sessions.browser_of,
        second_factor_required=second_factor_service.required_for(current_user),
        recovery_codes_left=second_factor_service.recovery_codes_left(current_user),
        token_needs_code=token_needs_code(),
        **context,
    ), status


@bp.get("/profile")
@login_required
def profile() -> ResponseReturnValue:
    return profile_page(
        new_secret=session.pop("new_token_secret", None),
        new_feed_url=session.pop("new_feed_url", None),  # shown once (feed_views.regenerate)
    )


@bp.post("/sessions/<int:session_id>/revoke")
@login_required
def revoke_session(session_id: int) -> ResponseReturnValue:
    record = auth_login.current_login_session()
    sessions.revoke(current_user, session_id)
    if record is not None and record.id == session_id:
        auth_login.end_current()
        flash(_("You have logged out."), "info")
        return redirect(url_for("auth.login"))
    flash(_("That session was signed out."), "info")
    return redirect(url_for("auth.profile") + "#login-sessions")


@bp.post("/sessions/revoke-others")
@login_required
def revoke_other_sessions() -> ResponseReturnValue:
    sessions.end_others(current_user, auth_login.current_login_session())
    flash(_("Every other session was signed out."), "info")
    return redirect(url_for("auth.profile") + "#login-sessions")


@bp.post("/profile/timezone")
@login_required
def set_timezone() -> ResponseReturnValue:
    try:
        service.set_timezone(current_user, request.form.get("timezone"))
    except InputError as err:
        return profile_page(422, errors=refused(err))
    flash(_("Time zone saved."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/tokens")
@login_required
def create_token() -> ResponseReturnValue:
    """A token acts without the second factor, so making one asks for a recent one."""
    if token_needs_code():
        how = second_factor_service.check_code(current_user, request.form.get("code", ""))
        record = auth_login.current_login_session()
        if how is None or record is None:
            flash(_("Enter a current code from your authenticator app to create a token."),
                  "danger")  # fmt: skip
            return redirect(url_for("auth.profile"))  # the failed code stays audited
        sessions.confirm_second_factor(record)
    _token, secret = tokens.create_token(current_user, request.form.get("name", ""))
    session["new_token_secret"] = secret  # shown once on the next page, then forgotten
    flash(_("Token created. Copy it now: it will not be shown again."), "success")
    return redirect(url_for("auth.profile"))


def token_needs_code() -> bool:
    """Whether creating a token must first check a second factor (none checked lately)."""
    return second_factor_service.needed_for_tokens(
        current_user
    ) and not sessions.has_recent_second_factor(auth_login.current_login_session())


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
