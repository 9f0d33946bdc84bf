"""Login sessions kept in the database, so that every worker and server agrees on who is
logged in, and ending one (logout, revocation, password change, deactivation) refuses its
cookies everywhere at once.

The browser's cookie (and the remember-me cookie) carries only a random id; the table keeps
its SHA-256. A session ends when its row is deleted, after ``SESSION_IDLE_MINUTES`` without
a request, or ``SESSION_MAX_HOURS`` after the login, whichever comes first.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import joinedload

from telemed.audit import service as audit
from telemed.auth.models import LoginSession, User
from telemed.auth.tokens import hash_secret
from telemed.core.clock import now_utc
from telemed.core.sql import get_within
from telemed.extensions import db

TOKEN_PREFIX = "ls_"  # what a login session's id starts with (anything else opens nothing)
# Last seen is written at most this often, so that every request does not write.
LAST_SEEN_GRANULARITY = timedelta(minutes=1)
USER_AGENT_LENGTH = 255
# Every page a person opens runs this statement: built once (as ``tokens.TOKEN_OWNER``).
LOGIN_SESSION = (
    select(LoginSession)
    .options(joinedload(LoginSession.user))  # the user comes with it: one query
    .where(LoginSession.token_hash == bindparam("token_hash"))
)


def idle_limit() -> timedelta:
    return timedelta(minutes=int(current_app.config["SESSION_IDLE_MINUTES"]))


def lifetime_limit() -> timedelta:
    return timedelta(hours=int(current_app.config["SESSION_MAX_HOURS"]))


def is_expired(record: LoginSession, now: datetime) -> bool:
    return now - record.last_seen_at > idle_limit() or now - record.created_at > lifetime_limit()


def start(
    user: User,
    ip_address: str | None,
    user_agent: str | None,
    second_factor: str | None = None,
) -> tuple[LoginSession, str]:
    """Open a login session for ``user``; the id for the cookie is returned, never stored.

    ``second_factor`` says how the second factor was checked (``totp``, ``recovery``) or is
    ``None`` when the account logs in with its password alone."""
    now = now_utc()
    purge_expired(user, now)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = LoginSession(
        user_id=user.id,
        token_hash=hash_secret(token),
        created_at=now,
        last_seen_at=now,
        second_factor_at=now if second_factor else None,
        ip_address=(ip_address or None) and ip_address[:45],
        user_agent=(user_agent or None) and user_agent[:USER_AGENT_LENGTH],
    )
    db.session.add(record)
    user.last_login_at = now
    db.session.flush()
    audit.record(
        user, "auth.login", "user", user.id, session=record.id, second_factor=second_factor
    )
    db.session.flush()
    return record, token


def resolve(token: str) -> LoginSession | None:
    """The live login session this cookie carries, or ``None`` (unknown, ended, expired, or
    its account deactivated). Marks it seen, at most once per ``LAST_SEEN_GRANULARITY``."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    record = db.session.scalar(LOGIN_SESSION, {"token_hash": hash_secret(token)})
    if record is None:
        return None
    now = now_utc()
    if is_expired(record, now) or not record.user.active:
        db.session.delete(record)
        db.session.flush()
        return None
    if now - record.last_seen_at >= LAST_SEEN_GRANULARITY:
        record.last_seen_at = now
        db.session.flush()
    return record


def end(record: LoginSession, action: str = "auth.logout") -> None:
    """End one login session (logout, or the user revoking it)."""
    audit.record(record.user, action, "login_session", record.id)
    db.session.delete(record)
    db.session.flush()


def end_all(user: User, keep: LoginSession | None = None) -> int:
    """End every login session of ``user`` but ``keep``; how many ended. The caller audits it
    in the entry of what caused it (a password change, a deactivation, a reset)."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep is not None:
        query = query.where(LoginSession.id != keep.id)
    ended = db.session.execute(query, execution_options={"synchronize_session": "fetch"})
    db.session.flush()
    return int(getattr(ended, "rowcount", 0) or 0)


def end_others(user: User, keep: LoginSession | None) -> int:
    """The user signs out everywhere but here (from the profile page)."""
    count = end_all(user, keep)
    audit.record(user, "auth.sessions_revoked", "user", user.id, count=count)
    db.session.flush()
    return count


def revoke(user: User, session_id: int) -> LoginSession:
    """The user ends one of their own login sessions (from the profile page)."""
    record = get_within(LoginSession, session_id, owner="user_id", owner_id=user.id,
                        what="login session")  # fmt: skip
    end(record, "auth.session_revoked")
    return record


def active_sessions(user: User) -> list[LoginSession]:
    """The user's live login sessions, the latest seen first."""
    now = now_utc()
    records = db.session.scalars(
        select(LoginSession)
        .where(LoginSession.user_id == user.id)
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
    )
    return [r for r in records if not is_expired(r, now)]


def purge_expired(user: User, now: datetime) -> None:
    """Forget the user's sessions that can no longer be used (kept tidy at each login)."""
    oldest_alive = now - lifetime_limit()
    idle_since = now - idle_limit()
    db.session.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user.id,
            (LoginSession.created_at < oldest_alive) | (LoginSession.last_seen_at < idle_since),
        ),
        execution_options={"synchronize_session": "fetch"},
    )


def confirm_second_factor(record: LoginSession) -> None:
    """A second factor was just checked in this session (API tokens need a recent one)."""
    record.second_factor_at = now_utc()
    db.session.flush()


def has_recent_second_factor(record: LoginSession | None) -> bool:
    if record is None or record.second_factor_at is None:
        return False
    recent = timedelta(minutes=int(current_app.config["RECENT_2FA_MINUTES"]))
    return now_utc() - record.second_factor_at <= recent


def browser_of(user_agent: str | None) -> str:
    """A short name for a browser ("Firefox · Linux") from its User-Agent header."""
    agent = user_agent or ""
    browser = next((name for marker, name in BROWSERS if marker in agent), agent[:40] or "—")
    system = next((name for marker, name in SYSTEMS if marker in agent), "")
    return f"{browser} · {system}" if system else browser


# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
BROWSERS = (
    ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"), ("Safari/", "Safari"),
)  # fmt: skip
SYSTEMS = (
    ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
    ("Mac OS X", "macOS"), ("Linux", "Linux"),
)  # fmt: skip
