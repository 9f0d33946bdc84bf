"""The minutes (minuta) of a session: a draft that follows the live record, finalised by
the coordinator once the session has ended, then frozen; later corrections are dated addenda.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from telemed.audit import service as audit
from telemed.auth.models import User
from telemed.core.clock import now_utc
from telemed.core.errors import Forbidden, InvalidTransition
from telemed.core.schemas import load_or_raise
from telemed.core.sql import insert, rowcount
from telemed.extensions import db
from telemed.minutes import notices as minutes_notices
from telemed.minutes.content import TOPIC_KINDS, build_minutes, for_viewer
from telemed.minutes.models import Minutes, MinutesAddendum, MinutesStatus
from telemed.minutes.schemas import MinutesAddendumInputSchema, SessionTopicInputSchema
from telemed.sessions.access import require_room
from telemed.sessions.models import BoardSession, SessionStatus

ALREADY_FINAL = _l("These minutes are already final; corrections go in an addendum.")
STILL_DRAFT = _l(
    "The minutes are still a draft: correct the record itself instead of adding an addendum."
)


# --- state ----------------------------------------------------------------------------


def session_ended(session: BoardSession) -> bool:
    """The end was recorded in the room, or the session is over (held)."""
    return session.ended_at is not None or session.status is SessionStatus.HELD


def get_minutes(session: BoardSession) -> Minutes | None:
    return db.session.scalar(select(Minutes).where(Minutes.session_id == session.id))


def current_status(session: BoardSession) -> MinutesStatus:
    status = db.session.scalar(select(Minutes.status).where(Minutes.session_id == session.id))
    return status or MinutesStatus.DRAFT


def is_final(session: BoardSession) -> bool:
    return current_status(session) is MinutesStatus.FINAL


def require_draft(session: BoardSession) -> None:
    """For changes to what the minutes record: refused once they are final."""
    if is_final(session):
        raise InvalidTransition(str(ALREADY_FINAL))


@dataclass
class MinutesRecord:
    """The minutes of a session for one reader: status, content and addenda."""

    session: BoardSession
    minutes: Minutes | None
    content: dict[str, Any]

    @property
    def status(self) -> MinutesStatus:
        return self.minutes.status if self.minutes is not None else MinutesStatus.DRAFT

    @property
    def final(self) -> bool:
        return self.status is MinutesStatus.FINAL

    @property
    def finalised_at(self) -> datetime | None:
        return self.minutes.finalised_at if self.minutes is not None else None

    @property
    def finalised_by(self) -> str | None:
        by = self.minutes.finalised_by if self.minutes is not None else None
        return by.name if by is not None else None

    @property
    def addenda(self) -> list[MinutesAddendum]:
        return list(self.minutes.addenda) if self.minutes is not None else []


def record_for(actor: User, session: BoardSession) -> MinutesRecord:
    """The minutes as ``actor`` may read them: the frozen content once final, else the
    live record."""
    minutes = get_minutes(session)
    final = minutes is not None and minutes.status is MinutesStatus.FINAL
    content = minutes.content if final and minutes is not None else None
    return MinutesRecord(session, minutes, for_viewer(content or build_minutes(session), actor))


def read_minutes(actor: User, session: BoardSession, *, via: str) -> MinutesRecord:
    """The minutes for whoever may enter the room (404 otherwise); the read is audited."""
    require_room(actor, session)
    record = record_for(actor, session)
    audit.record(actor, "minutes.viewed", "session", session.id, status=record.status.value,
                 via=via)  # fmt: skip
    db.session.flush()
    return record


# --- finalising and addenda -----------------------------------------------------------


def require_coordinator(actor: User, session: BoardSession) -> None:
    require_room(actor, session)
    if not actor.is_staff:
        raise Forbidden(_("Only the board's coordinator can do this."))


def ensure_row(session: BoardSession) -> int:
    """The session's ``Minutes`` row id, created as a draft if missing (race-safe: the
    session id is unique, a concurrent insert is skipped)."""
    db.session.execute(
        insert(Minutes)
        .values(session_id=session.id, status=MinutesStatus.DRAFT.value, created_at=now_utc())
        .on_conflict_do_nothing(index_elements=["session_id"])
    )
    minutes_id = db.session.scalar(select(Minutes.id).where(Minutes.session_id == session.id))
    assert minutes_id is not None
    return minutes_id


def finalise_minutes(actor: User, session: BoardSession) -> Minutes:
    """Freeze the minutes and send every attendee and member a link to them.

    Only one finalisation wins: the frozen content is written by a conditional UPDATE
    (``status = 'draft'``), so a second one, even at the same moment, changes and sends
    nothing and is refused.
    """
    require_coordinator(actor, session)
    if session.status is SessionStatus.CANCELLED:
        raise InvalidTransition(_("This session was cancelled; it has no minutes."))
    if not session_ended(session):
        raise InvalidTransition(_("The minutes can be finalised once the session has ended."))
    if is_final(session):
        raise InvalidTransition(str(ALREADY_FINAL))
    content = build_minutes(session)
    minutes_id = ensure_row(session)
    now = now_utc()
    claimed = db.session.execute(
        update(Minutes)
        .where(Minutes.id == minutes_id, Minutes.status == MinutesStatus.DRAFT)
        .values(
            status=MinutesStatus.FINAL, content=content, finalised_at=now, finalised_by_id=actor.id
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(claimed) != 1:  # another finalisation won: this one changes nothing
        raise InvalidTransition(str(ALREADY_FINAL))
    session.minutes_final_at = now
    recipients = minutes_notices.recipients(session)
    for user in recipients:
        minutes_notices.minutes_final(session, user)
    audit.record(actor, "minutes.finalised", "session", session.id, minutes=minutes_id,
                 number=session.number, cases=len(content["cases"]),
                 recipients=len(recipients))  # fmt: skip
    db.session.flush()
    minutes = db.session.get(Minutes, minutes_id)
    assert minutes is not None
    db.session.refresh(minutes)
    return minutes


def add_addendum(actor: User, minutes: Minutes, text: Any) -> MinutesAddendum:
    """A dated correction to final minutes (the minutes themselves stay as they were)."""
    session = minutes.session
    require_coordinator(actor, session)
    values = load_or_raise(MinutesAddendumInputSchema(), {"text": text})
    if minutes.status is not MinutesStatus.FINAL:
        raise InvalidTransition(str(STILL_DRAFT))
    addendum = MinutesAddendum(minutes=minutes, text=values["text"], author=actor, at=now_utc())
    db.session.add(addendum)
    db.session.flush()
    audit.record(actor, "minutes.addendum_added", "session", session.id, minutes=minutes.id,
                 addendum=addendum.id)  # fmt: skip
    db.session.flush()
    return addendum


def add_session_addendum(actor: User, session: BoardSession, text: Any) -> MinutesAddendum:
    """``add_addendum`` for a session whose minutes may not exist yet (then: a draft)."""
    require_coordinator(actor, session)
    minutes = get_minutes(session)
    if minutes is None:
        load_or_raise(MinutesAddendumInputSchema(), {"text": text})
        raise InvalidTransition(str(STILL_DRAFT))
    return add_addendum(actor, minutes, text)


# --- topic and speaker of training and keynote sessions -------------------------------


def set_topic(actor: User, session: BoardSession, data: dict[str, Any]) -> BoardSession:
    """Record what a training or keynote session was about and who gave it (the minutes and
    the certificates print them)."""
    require_coordinator(actor, session)
    if session.kind not in TOPIC_KINDS:
        raise InvalidTransition(_("Only training and keynote sessions have a topic and speaker."))
    values = load_or_raise(SessionTopicInputSchema(), data)
    require_draft(session)
    before = {"topic": session.topic, "speaker": session.speaker}
    session.topic, session.speaker = values["topic"], values["speaker"]
    if session.order_of_business:
        session.order_of_business = [
            {**section, "entries": [e for e in (session.topic, session.speaker) if e]}
            if section.get("key") == "topic"
            else section
            for section in session.order_of_business
        ]
    audit.record(actor, "session.topic_set", "session", session.id, before=before,
                 after={"topic": session.topic, "speaker": session.speaker})  # fmt: skip
    db.session.flush()
    return session
