"""Account operations: log in, change password, create, edit and deactivate users."""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from telemed.audit import service as audit
from telemed.auth import sessions
from telemed.auth.models import LoginSession, Role, User
from telemed.auth.schemas import PasswordChangeSchema, UserInputSchema
from telemed.centres.models import Centre
from telemed.core.errors import InputError, NotFound
from telemed.core.schemas import MEXICAN_TIMEZONES, load_or_raise
from telemed.extensions import db


@cache
def dummy_hash() -> str:
    """Checked against when the email is unknown, so timing does not reveal accounts."""
    return generate_password_hash(secrets.token_hex(8))


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


USERS_PER_PAGE = 50


def list_users(page: int) -> Pagination:
    """A page of every account, active ones first, by name (administrators)."""
    query = select(User).order_by(User.active.desc(), User.name)
    return db.paginate(query, page=page, per_page=USERS_PER_PAGE, error_out=False)


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or ``None`` (the same answer for every miss).

    A miss is audited with the email that was typed (never the password); a hit is audited
    when its login session starts (``sessions.start``), after any second factor."""
    user = find_by_email(email)
    if user is None:
        check_password_hash(dummy_hash(), password or "")
        audit.record(None, "auth.login_failed", "user", None, email=typed_email(email))
        db.session.flush()
        return None
    if not user.check_password(password or "") or not user.active:
        audit.record(user, "auth.login_failed", "user", user.id, email=user.email)
        db.session.flush()
        return None
    return user


def typed_email(email: str) -> str:
    return normalise_email(email)[:254]


def change_password(user: User, data: dict[str, Any], keep: LoginSession | None) -> None:
    """Change one's own password: every other login session of the user ends, ``keep`` (the
    one that changed it) goes on."""
    values = load_or_raise(PasswordChangeSchema(), data)
    if not user.check_password(values["current_password"]):
        raise InputError({"current_password": [_("The current password is wrong.")]})
    user.set_password(values["new_password"])
    ended = sessions.end_all(user, keep=keep)
    audit.record(user, "user.password_change", "user", user.id, sessions_ended=ended)
    db.session.flush()


def create_user(actor: User | None, data: dict[str, Any]) -> User:
    """Create an account (administrators in the UI, or the CLI with ``actor=None``)."""
    values = load_or_raise(UserInputSchema(), data)
    if not values.get("password"):
        raise InputError({"password": [_("This field is required.")]})
    email = normalise_email(values["email"])
    if find_by_email(email) is not None:
        raise InputError({"email": [_("There is already an account with this email.")]})
    user = User(email=email)
    apply_values(user, values)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", "user", user.id, role=user.role.value)
    db.session.flush()
    return user


def update_user(actor: User, user: User, data: dict[str, Any]) -> User:
    values = load_or_raise(UserInputSchema(), data)
    email = normalise_email(values["email"])
    other = find_by_email(email)
    if other is not None and other.id != user.id:
        raise InputError({"email": [_("There is already an account with this email.")]})
    if user.id == actor.id and (not values["active"] or values["role"] is not Role.ADMIN):
        raise InputError({"role": [_("You cannot remove your own administrator access.")]})
    before = {"role": user.role, "active": user.active}
    user.email = email
    apply_values(user, values)
    changed = [k for k, v in before.items() if getattr(user, k) != v]
    details: dict[str, Any] = {"changed": changed}
    # Deactivated, or given a new password by an administrator: every login of theirs ends.
    if (before["active"] and not user.active) or values.get("password"):
        details["sessions_ended"] = sessions.end_all(user)
    audit.record(actor, "user.update", "user", user.id, **details)
    db.session.flush()
    return user


def set_active(actor: User, user: User, active: bool) -> User:
    if user.id == actor.id:
        raise InputError({"active": [_("You cannot deactivate your own account.")]})
    if user.active != active:
        user.active = active
        if active:
            audit.record(actor, "user.activate", "user", user.id)
        else:
            ended = sessions.end_all(user)
            audit.record(actor, "user.deactivate", "user", user.id, sessions_ended=ended)
        db.session.flush()
    return user


def apply_values(user: User, values: dict[str, Any]) -> None:
    user.name = values["name"].strip()
    user.role = values["role"]
    user.discipline = values.get("discipline") if user.role is Role.SPECIALIST else None
    user.centre_id = resolve_centre(values.get("centre_code"))
    user.locale = values.get("locale")
    user.timezone = values.get("timezone")
    user.active = values.get("active", True)
    if values.get("password"):
        user.set_password(values["password"])


def resolve_centre(code: str | None) -> int | None:
    if not code:
        return None
    centre_id = db.session.scalar(
        select(Centre.id).where(func.upper(Centre.code) == code.strip().upper())
    )
    if centre_id is None:
        raise InputError({"centre_code": [_("There is no centre with this code.")]})
    return centre_id


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    return user


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.flush()


def set_timezone(user: User, timezone: str | None) -> None:
    """The zone pages are shown in; empty means the zone of the user's centre."""
    zone = (timezone or "").strip() or None
    if zone is not None and zone not in MEXICAN_TIMEZONES:
        raise InputError({"timezone": [_("Choose a time zone of Mexico.")]})
    if user.timezone != zone:
        user.timezone = zone
        audit.record(user, "user.timezone", "user", user.id, timezone=zone)
        db.session.flush()


def is_safe_next(target: str | None) -> TypeGuard[str]:
    """Only same-site relative paths: no scheme, no host, no ``//`` or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target
