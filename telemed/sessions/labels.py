"""Human labels for sessions, agenda outcomes, flags and the order of business."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from telemed.core.formatting import short_datetime
from telemed.sessions.models import (
    BoardSession,
    DeferralReason,
    FlagReason,
    ItemOutcome,
    SessionStatus,
)

SESSION_STATUS_LABELS = {
    SessionStatus.PLANNED: _l("planned"),
    SessionStatus.AGENDA_CLOSED: _l("agenda closed"),
    SessionStatus.HELD: _l("held"),
    SessionStatus.CANCELLED: _l("cancelled"),
}


OUTCOME_LABELS = {
    ItemOutcome.PENDING: _l("on the agenda"),
    ItemOutcome.DISCUSSED: _l("discussed"),
    ItemOutcome.NOT_DISCUSSED: _l("not discussed"),
    ItemOutcome.DEFERRED: _l("deferred"),
    ItemOutcome.REMOVED: _l("removed"),
    ItemOutcome.MOVED: _l("moved"),
    ItemOutcome.SESSION_CHANGED: _l("session moved or cancelled"),
    ItemOutcome.WITHDRAWN: _l("withdrawn"),
}


# Why the meeting deferred a case (the network counts deferrals for missing material).
DEFERRAL_REASON_LABELS = {
    DeferralReason.MISSING_MATERIAL: _l("Material missing"),
    DeferralReason.NO_TIME: _l("Out of time"),
    DeferralReason.OTHER: _l("Other"),
}


FLAG_LABELS = {
    FlagReason.DEADLINE: _l("The next session with room is after the clinical deadline."),
    FlagReason.URGENT_72H: _l("Urgent case that cannot be discussed within 72 hours."),
    FlagReason.NO_SESSION: _l("No session of the board has room before the horizon."),
}


# Sections of the order of business, in the minutes' order.
SECTION_LABELS = {
    "welcome": _l("Welcome"),
    "follow_up": _l("Follow-up of previous agreements"),
    "cases": _l("Review of specific cases"),
    "topic": _l("Topic"),
    "general": _l("General matters"),
    "agreements": _l("Reading of the agreements"),
    "close": _l("Closing"),
}


def session_choice(session: BoardSession) -> str:
    """A session in a list to choose from: "jue 10 dic, 18:00 · n.º 540". People pick a
    meeting by its day and hour; the number alone (540, 532, 533...) said neither."""
    return _("%(when)s · no. %(number)d", when=short_datetime(session.starts_at),
             number=session.number)  # fmt: skip
