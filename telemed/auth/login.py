"""Flask-Login wiring: sessions for people, bearer tokens for programs."""

from __future__ import annotations

from flask import Flask, Request, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import Unauthorized

from telemed.auth import tokens
from telemed.auth.models import User
from telemed.extensions import db, login_manager


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Session ids are ``<id>:<session_version>``: a password change ends other sessions."""
    raw_id, _, version = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user


@login_manager.request_loader
def load_user_from_token(req: Request) -> User | None:
    header = req.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return tokens.user_for_secret(secret.strip())


@login_manager.unauthorized_handler
def unauthorized() -> ResponseReturnValue:
    if is_api_request():
        raise Unauthorized(str(_l("Log in or send a valid API token.")))
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
