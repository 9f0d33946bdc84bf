"""RSVP: answering an invitation, from a link in the email or a button on the session page.

A link carries the attendee id, their user id and the answer, signed with the app's
SECRET_KEY (salt "rsvp"). It is good until a day after the session ends. Opening it
changes nothing (mail scanners prefetch links); the confirmation page posts it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from telemed.audit import service as audit
from telemed.auth.models import User
from telemed.boards.access import is_member
from telemed.core.clock import now_utc
from telemed.core.errors import InputError, InvalidTransition, NotFound
from telemed.extensions import db
from telemed.invites.rsvp_links import ANSWERS, GRACE, read_token
from telemed.invites.service import ROLE_RANK, Quorum, attendee_rows, quorum_of
from telemed.sessions.models import UPCOMING, AttendeeRole, BoardSession, PartStat, SessionAttendee

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


def respond(
    attendee: SessionAttendee,
    partstat: PartStat,
    actor: User,
    via: str,
    *,
    at: datetime | None = None,
) -> None:
    """Record the answer (audited) in the caller's transaction. ``at``: when it was given, if
    earlier than now (a calendar client's reply read from the mailbox later)."""
    if partstat not in ANSWERS:
        raise InputError({"partstat": [_("Choose accept, tentative or decline.")]})
    session = attendee.session
    if session.status not in UPCOMING or now_utc() > session.ends_at + GRACE:
        raise InvalidTransition(_("This session can no longer be answered."))
    before = attendee.partstat
    attendee.partstat = partstat
    attendee.responded_at = min(at, now_utc()) if at is not None else now_utc()
    audit.record(actor, "session.rsvp", "session", session.id, user_id=attendee.user_id,
                 before=before.value, after=partstat.value, via=via)  # fmt: skip
    db.session.flush()


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
    respond(attendee, partstat, user, "page")
    return attendee


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
