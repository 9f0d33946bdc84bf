"""Flask-Login wiring: login sessions (in the database) for people, bearer tokens for
programs, and the half-way state between a right password and a second factor.

The session cookie and the remember-me cookie carry the login session's random id as
Flask-Login's user id; ``load_user`` resolves it in the database on every request, so a
session ended on one server (logout, revocation, password change, deactivation) is refused
by all of them, and an idle or too old one expires.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, abort, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import Unauthorized

from telemed.auth import second_factor, sessions, tokens
from telemed.auth.models import LoginSession, User
from telemed.core.clock import now_utc
from telemed.extensions import db, login_manager

PENDING_KEY = "pending_login"
PENDING_MINUTES = 10  # time to type the code after the password
# What a user who must set up a second factor may still reach before doing so.
OPEN_WHILE_ENROLLING = {"auth.enrol", "auth.logout", "auth.set_language", "static"}
# The probes and the metrics scrape (``telemed.ops.views``) never look at the user, so they
# answer even when the database, where logins live, does not.
NO_USER_ENDPOINTS = {"ops.healthz", "ops.readyz", "ops.metrics"}


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """The user of the live login session whose id the cookie carries."""
    record = sessions.resolve(token)
    if record is None:
        return None
    g.login_session = record
    return record.user


@login_manager.request_loader
def load_user_from_token(req: Request) -> User | None:
    secret = tokens.bearer_secret(req.headers.get("Authorization", ""))
    return tokens.user_for_secret(secret) if secret else None


@login_manager.unauthorized_handler
def unauthorized() -> ResponseReturnValue:
    if is_api_request():
        raise Unauthorized(str(_l("Log in or send a valid API token.")))
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def current_login_session() -> LoginSession | None:
    """This browser's login session (``None`` for API tokens and visitors)."""
    if not current_user.is_authenticated:
        return None
    record: LoginSession | None = g.get("login_session")
    return record


def begin(user: User, remember: bool, how: str | None = None) -> LoginSession:
    """Log ``user`` in: a new login session whose random id goes into the cookie (and the
    remember-me cookie, which Flask-Login fills from the session's user id)."""
    session.pop(PENDING_KEY, None)
    session.pop("locale", None)
    record, token = sessions.start(
        user, request.remote_addr, request.headers.get("User-Agent"), how
    )
    login_user(user, remember=remember)
    session["_user_id"] = token
    g.login_session = record
    return record


def end_current() -> None:
    """Forget the login in this browser (its record was deleted, or is being)."""
    logout_user()
    g.pop("login_session", None)


# --- between the password and the second factor ----------------------------------------


def fingerprint(user: User) -> str:
    """Ties a half-done login to the password it began with (a change cancels it)."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def hold(user: User, remember: bool, next_url: str | None, enrol: bool) -> None:
    """The password was right, but a second factor (or setting one up) comes first; nothing
    but the code page (or the set-up page) opens with this state."""
    session.pop("_user_id", None)
    session[PENDING_KEY] = {
        "user": user.id,
        "at": now_utc().isoformat(),
        "remember": remember,
        "next": next_url,
        "enrol": enrol,
        "check": fingerprint(user),
    }


def held(enrol: bool) -> tuple[User, dict[str, Any]] | None:
    """The user half-way through logging in (for the code page, or the set-up page when
    ``enrol``), unless the state is missing, stale, or its account changed."""
    state = session.get(PENDING_KEY)
    if not isinstance(state, dict) or bool(state.get("enrol")) is not enrol:
        return None
    try:
        started = datetime.fromisoformat(str(state["at"]))
        user = db.session.get(User, int(state["user"]))
    except (KeyError, TypeError, ValueError):
        return None
    if now_utc() - started > timedelta(minutes=PENDING_MINUTES):
        session.pop(PENDING_KEY, None)
        return None
    if user is None or not user.active or state.get("check") != fingerprint(user):
        return None
    return user, state


def drop_held() -> None:
    session.pop(PENDING_KEY, None)


def held_user_id() -> str:
    """A rate-limit key for the code pages: the account half-way through logging in."""
    state = session.get(PENDING_KEY)
    user = state.get("user") if isinstance(state, dict) else None
    return f"second-factor:{user}"


# --- users whose role needs a second factor they have not set up -----------------------


def enrolment_guard() -> ResponseReturnValue | None:
    """A logged-in user whose role must have a second factor reaches nothing but the set-up
    page until it is done (say, an account just made a coordinator)."""
    if request.endpoint in OPEN_WHILE_ENROLLING | NO_USER_ENDPOINTS or request.endpoint is None:
        return None
    if not current_user.is_authenticated or current_login_session() is None:
        return None  # visitors, and programs with API tokens
    if current_user.has_second_factor or not second_factor.required_for(current_user):
        return None
    if is_api_request():
        abort(403)
    return redirect(url_for("auth.enrol"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    app.before_request(enrolment_guard)
