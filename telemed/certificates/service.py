"""Certificates of attendance at training and keynote sessions, and their public check.

A certificate is issued the first time it is downloaded (one per attendance: the unique
``attendance_id`` makes concurrent first downloads share one row) with an unguessable
verification code (60 random bits as 12 base32 characters, ``XXXX-XXXX-XXXX``) that a third
party can check on a public page. Certificates carry no patient data.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from telemed.audit import service as audit
from telemed.auth.models import User
from telemed.boards.models import SessionKind
from telemed.certificates.models import Certificate
from telemed.core.clock import now_utc
from telemed.core.errors import Forbidden, InvalidTransition, NotFound
from telemed.core.links import external_url
from telemed.core.sql import insert
from telemed.extensions import db
from telemed.minutes.service import session_ended
from telemed.room.models import Attendance
from telemed.sessions.access import require_room
from telemed.sessions.models import BoardSession, SessionStatus

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648 base32
CODE_LENGTH = 12
# Characters people type for the base32 letters they resemble.
LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})
CERTIFIED_KINDS = (SessionKind.TRAINING, SessionKind.KEYNOTE)
ISSUE_ATTEMPTS = 5


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(text: str | None) -> str | None:
    """``abcd efgh-ijkl`` → ``ABCD-EFGH-IJKL``; ``None`` when it cannot be a code."""
    raw = re.sub(r"[\s\-]", "", (text or "").upper()).translate(LOOKALIKES)
    if len(raw) != CODE_LENGTH or any(c not in ALPHABET for c in raw):
        return None
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def verification_url(code: str) -> str:
    return external_url("certificates.verify", code=code)


# --- who gets one ---------------------------------------------------------------------


def require_certifiable(session: BoardSession) -> None:
    if session.kind not in CERTIFIED_KINDS:
        raise InvalidTransition(_("Case-review sessions have no attendance certificates; only "
                                  "training and keynote sessions do."))  # fmt: skip
    if session.status is SessionStatus.CANCELLED:
        raise InvalidTransition(_("This session was cancelled."))
    if not session_ended(session):
        raise InvalidTransition(
            _("Certificates of attendance are available once the session has ended.")
        )


def own_attendance(user: User, session: BoardSession) -> Attendance | None:
    return db.session.scalar(
        select(Attendance).where(
            Attendance.session_id == session.id,
            Attendance.user_id == user.id,
            Attendance.present.is_(True),
        )
    )


def can_download_own(user: User, session: BoardSession) -> bool:
    """Whether the room should offer ``user`` their certificate now."""
    return (
        session.kind in CERTIFIED_KINDS
        and session.status is not SessionStatus.CANCELLED
        and session_ended(session)
        and own_attendance(user, session) is not None
    )


def certificate_for_self(actor: User, session: BoardSession) -> Certificate:
    """The caller's own certificate; only for people recorded as present."""
    attendance = own_attendance(actor, session)
    if attendance is None:
        require_room(actor, session)
        require_certifiable(session)
        raise Forbidden(_("You were not recorded as present at this session."))
    require_certifiable(session)
    return issue(actor, attendance)


def certificate_for_attendance(actor: User, attendance_id: int) -> Certificate:
    """Any attendee's certificate (guests too), for coordinators."""
    if not actor.is_staff:
        raise Forbidden(_("Only coordinators can download other people's certificates."))
    attendance = db.session.get(Attendance, attendance_id)
    if attendance is None:
        raise NotFound("attendance not found")
    require_certifiable(attendance.session)
    if not attendance.present:
        raise InvalidTransition(_("Only people present at the session get a certificate."))
    return issue(actor, attendance)


def issue(actor: User, attendance: Attendance) -> Certificate:
    """The attendance's certificate, issued now if it has none (audited either way)."""
    certificate = existing(attendance)
    if certificate is None:
        for _attempt in range(ISSUE_ATTEMPTS):
            # DO NOTHING on any unique clash: another first download of the same attendance
            # (we then read its row) or, very unlikely, a code already taken (we retry).
            created = db.session.scalar(
                insert(Certificate)
                .values(
                    attendance_id=attendance.id,
                    session_id=attendance.session_id,
                    code=new_code(),
                    holder_name=attendance.name,
                    issued_at=now_utc(),
                )
                .on_conflict_do_nothing()
                .returning(Certificate.id)
            )
            certificate = existing(attendance)
            if certificate is not None:
                if created == certificate.id:
                    audit.record(
                        actor, "certificate.issued", "certificate", certificate.id,
                        session=attendance.session_id, attendance=attendance.id,
                    )  # fmt: skip
                break
        if certificate is None:
            raise RuntimeError("could not issue a unique certificate code")
    audit.record(actor, "certificate.downloaded", "certificate", certificate.id,
                 session=attendance.session_id, attendance=attendance.id)  # fmt: skip
    db.session.flush()
    return certificate


def existing(attendance: Attendance) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.attendance_id == attendance.id))


# --- the public check -----------------------------------------------------------------


@dataclass
class Verification:
    """What the public page shows about a certificate (no patient data, no email)."""

    code: str
    holder_name: str
    board: str
    kind: SessionKind
    topic: str | None
    speaker: str | None
    starts_at: datetime
    timezone: str
    issued_at: datetime
    valid: bool


def verify(text: str | None) -> Verification | None:
    """The certificate with this code (any case, with or without dashes), or ``None``."""
    code = normalise_code(text)
    if code is None:
        return None
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
    if certificate is None:
        return None
    session = certificate.session
    audit.record(None, "certificate.verified", "certificate", certificate.id)
    db.session.flush()
    return Verification(
        code=certificate.code,
        holder_name=certificate.holder_name,
        board=session.board.name,
        kind=session.kind,
        topic=session.topic,
        speaker=session.speaker,
        starts_at=session.started_at or session.starts_at,
        timezone=session.board.timezone,
        issued_at=certificate.issued_at,
        # A record corrected later (not present after all) takes its certificates back.
        valid=certificate.attendance.present,
    )
