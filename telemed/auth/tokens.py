"""Personal API tokens: shown once, stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, select, update

from telemed.audit import service as audit
from telemed.auth.models import ApiToken, User
from telemed.core.clock import now_utc
from telemed.core.errors import NotFound
from telemed.extensions import db

TOKEN_PREFIX = "tm_"
LAST_USED_GRANULARITY = timedelta(minutes=5)
# Every API request runs this statement: built once, so that it pays neither the building
# nor the cache key again (together they cost as much as running it; bench/README.md).
TOKEN_OWNER = (
    select(User, ApiToken.id, ApiToken.last_used_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
)


def bearer_secret(authorization: str) -> str | None:
    """The secret of an ``Authorization: Bearer <secret>`` header, or ``None``."""
    scheme, _, secret = authorization.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Make a token for ``user``; the secret is returned once and never stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=(name or "API").strip()[:80],
        token_hash=hash_secret(secret),
        prefix=secret[:10],
        created_at=now_utc(),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(user, "token.create", "api_token", token.id, name=token.name)
    db.session.flush()
    return token, secret


def revoke_token(user: User, token_id: int) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound("token not found")
    token.revoked_at = now_utc()
    audit.record(user, "token.revoke", "api_token", token.id)
    db.session.flush()


def active_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id)
        )
    )


def user_for_secret(secret: str) -> User | None:
    """The active owner of a live token: one statement on the unique index of
    ``token_hash``, which brings the user (with their centre) and the token's id and last
    use as plain values (it was two statements, and a whole token object per request)."""
    found = db.session.execute(TOKEN_OWNER, {"token_hash": hash_secret(secret)}).first()
    if found is None or not found[0].active:
        return None
    user, token_id, last_used_at = found
    now = now_utc()
    if last_used_at is None or now - last_used_at > LAST_USED_GRANULARITY:
        db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return user
