"""Users of the service and their personal API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from telemed.centres.models import Centre
from telemed.core.clock import now_utc
from telemed.core.types import UTCDateTime, enum_column
from telemed.extensions import Model


class Role(enum.StrEnum):
    REFERRING = "referring"
    SPECIALIST = "specialist"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class Discipline(enum.StrEnum):
    PAEDIATRIC_ONCOLOGY = "paediatric_oncology"
    HAEMATOLOGY = "haematology"
    PATHOLOGY = "pathology"
    RADIOLOGY = "radiology"
    RADIOTHERAPY = "radiotherapy"
    SURGERY = "surgery"
    NEUROSURGERY = "neurosurgery"
    TRANSPLANT = "transplant"
    PALLIATIVE_CARE = "palliative_care"
    NURSING = "nursing"
    OTHER = "other"


# Flask-Login ships no type information, so its mixin is ``Any`` to the type checker.
class User(UserMixin, Model):  # type: ignore[misc]
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role), index=True)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)
    discipline: Mapped[Discipline | None] = mapped_column(enum_column(Discipline))
    locale: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Second factor (TOTP, RFC 6238): the secret, encrypted with a key derived from
    # SECRET_KEY (``second_factor.seal``); set but unconfirmed while the user enrols.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last time-step whose code was accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    centre: Mapped[Centre | None] = relationship(lazy="joined")

    def get_id(self) -> str:
        """What Flask-Login writes into a new session before the login view replaces it with
        the login session's random id (``telemed.auth.login.begin``); it opens nothing."""
        return f"user-{self.id}"

    @property
    def has_second_factor(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_referring(self) -> bool:
        return self.role is Role.REFERRING

    @property
    def is_staff(self) -> bool:
        """Coordinators and administrators see every case."""
        return self.role in (Role.COORDINATOR, Role.ADMIN)

    @property
    def display_timezone(self) -> str:
        if self.timezone:
            return self.timezone
        if self.centre is not None:
            return self.centre.timezone
        return "America/Mexico_City"

    def set_password(self, password: str) -> None:
        # werkzeug's default is scrypt, a current memory-hard algorithm.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class ApiToken(Model):
    """A personal bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginSession(Model):
    """One browser's login: its cookie (and remember-me cookie) carries only a random id,
    whose SHA-256 is stored here. Deleting the row ends the login on every server."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # When a second factor was last checked in this session (tokens need a recent one).
    second_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship()


class RecoveryCode(Model):
    """A one-time code that stands in for the second factor; only its SHA-256 is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
