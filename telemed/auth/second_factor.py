"""The second factor: time-based one-time codes (TOTP, RFC 6238) and one-time recovery codes.

The TOTP secret is stored encrypted (Fernet) with a key derived from ``SECRET_KEY``, so a
copy of the database alone does not yield it; keys in ``SECRET_KEY_FALLBACKS`` still open
secrets sealed before a key rotation. A code is accepted one 30-second step either side of
now, and only for a step later than the last one accepted for that user, so a code seen
over someone's shoulder or replayed is refused. Recovery codes are stored as SHA-256 (80
random bits each) and each works once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update

from telemed.audit import service as audit
from telemed.auth import sessions
from telemed.auth.models import RecoveryCode, User
from telemed.core.clock import now_utc
from telemed.core.errors import InputError
from telemed.extensions import db

ISSUER = "Telemed"
STEP_SECONDS = 30
WINDOW = 1  # steps accepted either side of now (clocks of phones drift)
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 16  # 16 symbols of 31: about 79 bits each


def required_for(user: User) -> bool:
    """Whether the user's role must log in with a second factor (``REQUIRE_2FA_ROLES``)."""
    return user.role.value in current_app.config["REQUIRE_2FA_ROLES"]


def needed_for_tokens(user: User) -> bool:
    """Creating an API token asks for a recent second factor from these users."""
    return user.has_second_factor or required_for(user)


# --- the secret --------------------------------------------------------------------------


def fernet_for(secret_key: str | bytes) -> Fernet:
    material = secret_key.encode() if isinstance(secret_key, str) else secret_key
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"telemed", info=b"totp-secret").derive(
        material
    )
    return Fernet(base64.urlsafe_b64encode(key))


def keyring() -> MultiFernet:
    keys: Iterable[str | bytes] = [
        current_app.config["SECRET_KEY"],
        *(current_app.config.get("SECRET_KEY_FALLBACKS") or ()),
    ]
    return MultiFernet([fernet_for(key) for key in keys])


def seal(secret: str) -> str:
    return keyring().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The plain secret, or ``None`` when no configured key opens it (a lost key)."""
    try:
        return keyring().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def reseal(user: User) -> None:
    """Seal the key again under the current ``SECRET_KEY`` (after a rotation it may still be
    sealed by a fallback key), so the fallback can be dropped once everyone has logged in."""
    if user.totp_secret:
        user.totp_secret = keyring().rotate(user.totp_secret.encode()).decode()


def pending_secret(user: User) -> str:
    """The secret the user is enrolling with: the same on every reload of the page until the
    first code confirms it."""
    if user.has_second_factor:
        raise InputError({"code": [_("Your second factor is already set up.")]})
    secret = unseal(user.totp_secret) if user.totp_secret else None
    if secret is None:
        secret = pyotp.random_base32()
        user.totp_secret = seal(secret)
        user.totp_last_step = None
        db.session.flush()
    return secret


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The ``otpauth://`` address as an inline SVG QR code (no script, no style attribute)."""
    code = segno.make(uri, error="m")
    svg = code.svg_inline(scale=4, dark="#000", light="#fff", svgclass="totp-qr", omitsize=False)
    return Markup(svg)  # segno builds it from the URI's bits: nothing of the input is echoed


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# --- checking codes ----------------------------------------------------------------------


def current_step() -> int:
    return int(now_utc().timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str) -> int | None:
    """The time-step, within the window around now, whose code this is."""
    totp = pyotp.TOTP(secret)
    now = current_step()
    for step in range(now - WINDOW, now + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def accept_totp(user: User, code: str) -> bool:
    """Accept a TOTP code once: its step must be later than the last accepted one. The
    database settles two requests racing with the same code (a conditional UPDATE)."""
    digits = "".join(code.split())
    if not (digits.isdigit() and len(digits) == 6) or not user.totp_secret:
        return False
    secret = unseal(user.totp_secret)
    step = matching_step(secret, digits) if secret else None
    if step is None:
        return False
    claimed = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step),
        execution_options={"synchronize_session": "fetch"},
    )
    return int(getattr(claimed, "rowcount", 0) or 0) == 1


def normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def hash_recovery(code: str) -> str:
    return hashlib.sha256(normalise_recovery(code).encode()).hexdigest()


def accept_recovery_code(user: User, code: str) -> bool:
    """Use up one recovery code (an UPDATE that only one request can win)."""
    if len(normalise_recovery(code)) != RECOVERY_LENGTH:
        return False
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == hash_recovery(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now_utc()),
        execution_options={"synchronize_session": False},
    )
    if int(getattr(used, "rowcount", 0) or 0) != 1:
        return False
    audit.record(user, "auth.recovery_code_used", "user", user.id, left=recovery_codes_left(user))
    return True


def check_code(user: User, code: str) -> str | None:
    """How the user proved their second factor (``totp`` or ``recovery``), or ``None``; a
    failure is audited (the caller keeps the entry even when it answers with an error)."""
    if user.has_second_factor:
        if accept_totp(user, code):
            reseal(user)
            db.session.flush()
            return "totp"
        if accept_recovery_code(user, code):
            db.session.flush()
            return "recovery"
    audit.record(user, "auth.2fa_failed", "user", user.id)
    db.session.flush()
    return None


def recovery_codes_left(user: User) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


# --- enrolling, disabling, resetting -------------------------------------------------------


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with fresh ones, returned once and never stored."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    now = now_utc()
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=hash_recovery(code), created_at=now)
        for code in codes
    )
    db.session.flush()
    return ["-".join(code[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4)) for code in codes]


def confirm_enrolment(user: User, code: str) -> list[str]:
    """The first code from the app proves it holds the secret: the second factor is on, and
    the recovery codes are returned (to be shown once)."""
    if user.has_second_factor:
        raise InputError({"code": [_("Your second factor is already set up.")]})
    if not accept_totp(user, code):
        raise InputError(
            {"code": [_("That code is not right. Enter the 6-digit code your app shows now.")]}
        )
    user.totp_enabled_at = now_utc()
    codes = new_recovery_codes(user)
    audit.record(user, "auth.2fa_enrol", "user", user.id)
    db.session.flush()
    return codes


def regenerate_recovery_codes(user: User, code: str) -> list[str] | None:
    """New recovery codes for a current TOTP code; ``None`` (audited) when the code fails."""
    if not accept_totp(user, code):
        audit.record(user, "auth.2fa_failed", "user", user.id)
        db.session.flush()
        return None
    codes = new_recovery_codes(user)
    audit.record(user, "auth.recovery_codes_renewed", "user", user.id)
    db.session.flush()
    return codes


def clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable(user: User, code: str) -> bool:
    """The user turns their second factor off with a current code (or a recovery code);
    ``False`` (audited) when the code fails. Refused for roles that must have one."""
    if required_for(user):
        raise InputError({"code": [_("Your role must log in with a second factor.")]})
    if not user.has_second_factor:
        raise InputError({"code": [_("You have no second factor to turn off.")]})
    if check_code(user, code) is None:
        return False
    clear(user)
    audit.record(user, "auth.2fa_disable", "user", user.id)
    db.session.flush()
    return True


def reset(actor: User | None, user: User) -> None:
    """An administrator (or ``flask users reset-2fa``, ``actor=None``) removes a user's second
    factor (a lost phone): the user sets one up again at the next login if their role needs
    it, and every session of theirs ends."""
    clear(user)
    ended = sessions.end_all(user)
    audit.record(actor, "user.2fa_reset", "user", user.id, sessions_ended=ended)
    db.session.flush()
