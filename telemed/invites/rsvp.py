"""RSVP: signed, expiring links in the invite emails and buttons on the session page.

A link carries the attendee id, their user id and the answer, signed with the app's
SECRET_KEY (salt "rsvp"). It is good until a day after the session ends. Opening it
changes nothing (mail scanners prefetch links); the confirmation page posts it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from telemed.audit import service as audit
from telemed.auth.models import User
from telemed.core.clock import now_utc
from telemed.core.errors import DomainError, InputError, InvalidTransition, NotFound
from telemed.extensions import db
from telemed.invites.service import ROLE_RANK, UPCOMING, Quorum, attendee_rows, quorum_of
from telemed.sessions.models import AttendeeRole, BoardSession, PartStat, SessionAttendee

SALT = "rsvp"
# A link keeps working until this long after the session ends.
GRACE = timedelta(days=1)
ANSWERS = (PartStat.ACCEPTED, PartStat.TENTATIVE, PartStat.DECLINED)
ANSWER_LABELS = {
    PartStat.ACCEPTED: _l("Accept"),
    PartStat.TENTATIVE: _l("Tentative"),
    PartStat.DECLINED: _l("Decline"),
}
ROLE_LABELS = {
    AttendeeRole.CHAIR: _l("Chair"),
    AttendeeRole.REQUIRED: _l("Required"),
    AttendeeRole.OPTIONAL: _l("Optional"),
}
PARTSTAT_LABELS = {
    PartStat.NEEDS_ACTION: _l("No answer yet"),
    PartStat.ACCEPTED: _l("Accepted"),
    PartStat.TENTATIVE: _l("Tentative"),
    PartStat.DECLINED: _l("Declined"),
}


class InvalidLink(DomainError):
    """A tampered, expired or no longer usable RSVP link (answered as 400)."""

    status_code = 400


class ClockSigner(TimestampSigner):
    """Signs with the application's clock, so tests move time instead of sleeping."""

    def get_timestamp(self) -> int:
        return int(now_utc().timestamp())


def serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=ClockSigner)


def make_token(attendee: SessionAttendee, partstat: PartStat) -> str:
    return serializer().dumps({"a": attendee.id, "u": attendee.user_id, "p": partstat.value})


def rsvp_url(attendee: SessionAttendee, partstat: PartStat) -> str:
    return f"{current_app.config['BASE_URL']}/rsvp/{make_token(attendee, partstat)}"


def invalid() -> InvalidLink:
    return InvalidLink(_("This link is invalid or has expired."))


def read_token(token: str) -> tuple[SessionAttendee, PartStat]:
    """The attendee and answer a link stands for, or ``InvalidLink``."""
    try:
        data = serializer().loads(token)
    except BadData:
        raise invalid() from None
    if not isinstance(data, dict) or not {"a", "u", "p"} <= data.keys():
        raise invalid()
    try:
        partstat = PartStat(data["p"])
    except ValueError:
        raise invalid() from None
    attendee = db.session.get(SessionAttendee, data["a"]) if isinstance(data["a"], int) else None
    if attendee is None or attendee.user_id != data["u"] or partstat not in ANSWERS:
        raise invalid()
    if not attendee.active or not attendee.user.active:
        raise invalid()
    session = attendee.session
    if session.status not in UPCOMING or now_utc() > session.ends_at + GRACE:
        raise invalid()
    return attendee, partstat


def respond(attendee: SessionAttendee, partstat: PartStat, actor: User, via: str) -> None:
    """Record the answer (audited) and commit."""
    if partstat not in ANSWERS:
        raise InputError({"partstat": [_("Choose accept, tentative or decline.")]})
    session = attendee.session
    if session.status not in UPCOMING or now_utc() > session.ends_at + GRACE:
        raise InvalidTransition(_("This session can no longer be answered."))
    before = attendee.partstat
    attendee.partstat = partstat
    attendee.responded_at = now_utc()
    audit.record(actor, "session.rsvp", "session", session.id, user_id=attendee.user_id,
                 before=before.value, after=partstat.value, via=via)  # fmt: skip
    db.session.commit()


def answer_by_link(token: str) -> tuple[SessionAttendee, PartStat]:
    attendee, partstat = read_token(token)
    respond(attendee, partstat, attendee.user, "email")
    return attendee, partstat


def my_attendee(session: BoardSession, user: User) -> SessionAttendee | None:
    return db.session.scalar(
        select(SessionAttendee).where(
            SessionAttendee.session_id == session.id,
            SessionAttendee.user_id == user.id,
            SessionAttendee.active.is_(True),
        )
    )


def answer_on_page(user: User, session: BoardSession, value: str | None) -> SessionAttendee:
    """A logged-in attendee's button on the session page."""
    try:
        partstat = PartStat(value or "")
    except ValueError:
        partstat = None
    if partstat not in ANSWERS:
        raise InputError({"partstat": [_("Choose accept, tentative or decline.")]})
    attendee = my_attendee(session, user)
    if attendee is None:
        raise NotFound(_("You are not invited to this session."))
    respond(attendee, partstat, user, "page")  # type: ignore[arg-type]
    return attendee


# --- the Attendance card ------------------------------------------------------------------


@dataclass
class Attendance:
    rows: list[SessionAttendee]
    quorum: Quorum
    mine: SessionAttendee | None
    show_list: bool
    can_answer: bool
    disciplines: dict[int, Any] = field(default_factory=dict)

    @property
    def counts(self) -> dict[PartStat, int]:
        counts = dict.fromkeys(PartStat, 0)
        for row in self.rows:
            counts[row.partstat] += 1
        return counts


def attendance(session: BoardSession, viewer: User) -> Attendance:
    """Who is invited and what they answered (staff and board members see the list), the
    quorum, and the viewer's own invitation."""
    from telemed.boards.service import is_member

    rows = sorted(
        attendee_rows(session, active_only=True),
        key=lambda row: (ROLE_RANK[row.role], row.user.name, row.user_id),
    )
    mine = next((row for row in rows if row.user_id == viewer.id), None)
    on_board = {m.user_id: m.discipline for m in session.board.members}
    return Attendance(
        rows=rows,
        quorum=quorum_of(session, rows),
        mine=mine,
        show_list=viewer.is_staff or is_member(viewer, session.board_id),
        can_answer=mine is not None
        and session.status in UPCOMING
        and now_utc() <= session.ends_at + GRACE,
        disciplines={row.user_id: on_board.get(row.user_id) or row.user.discipline for row in rows},
    )
