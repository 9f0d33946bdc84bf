"""RSVP links: signed, expiring, one per attendee and answer, in the invite emails.

A link carries the attendee id, their user id and the answer, signed with the app's
SECRET_KEY (salt "rsvp"). It is good until a day after the session ends.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from telemed.core.clock import now_utc
from telemed.core.errors import DomainError
from telemed.core.links import external_url
from telemed.extensions import db
from telemed.sessions.models import UPCOMING, PartStat, SessionAttendee

SALT = "rsvp"


# A link keeps working until this long after the session ends.
GRACE = timedelta(days=1)


ANSWERS = (PartStat.ACCEPTED, PartStat.TENTATIVE, PartStat.DECLINED)


ANSWER_LABELS = {
    PartStat.ACCEPTED: _l("Accept"),
    PartStat.TENTATIVE: _l("Tentative"),
    PartStat.DECLINED: _l("Decline"),
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
    return external_url("invites.confirm", token=make_token(attendee, partstat))


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
