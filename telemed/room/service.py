"""The session room: who attended, when the session started and ended, the live quorum, its
general matters, and what the board decided on each case of the agenda — discussed with a
structured recommendation, or deferred back to scheduling with precedence — plus the
referring centre's report of whether each recommendation was carried out.

Every function checks access (``reviews.access``), owns its transaction and audits the
change. What is written to case timelines and emails names cases by code only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from telemed.audit import service as audit
from telemed.auth.models import Discipline, Role, User
from telemed.boards.models import MemberRole, SessionKind
from telemed.boards.recurrence import to_utc
from telemed.cases.models import CaseStatus
from telemed.cases.service import add_event
from telemed.core.clock import now_utc
from telemed.core.errors import InputError, InvalidTransition
from telemed.core.schemas import load_or_raise
from telemed.core.sql import get_within, hold_row
from telemed.extensions import db
from telemed.invites import service as invites
from telemed.invites.service import Quorum
from telemed.room import access
from telemed.room import notices as room_notices
from telemed.room.labels import ADHERENCE_LABELS, RECOMMENDATION_CATEGORY_LABELS
from telemed.room.models import Attendance, AttendanceRole, Recommendation
from telemed.room.schemas import (
    AdherenceInputSchema,
    GeneralMattersInputSchema,
    GuestInputSchema,
    MarkInputSchema,
    OutcomeInputSchema,
    RecommendationInputSchema,
    TimesInputSchema,
)
from telemed.sessions import access as session_access
from telemed.sessions import service as session_service
from telemed.sessions.labels import DEFERRAL_REASON_LABELS
from telemed.sessions.models import (
    AGENDA_OUTCOMES,
    DECIDE_FROM,
    AgendaItem,
    BoardSession,
    DeferralReason,
    ItemOutcome,
    SessionStatus,
)

# The room opens (attendance, start, outcomes) this long before the planned start.
OPENS_BEFORE = DECIDE_FROM
# The video button is active from this long before the start.
JOIN_FROM = timedelta(minutes=15)
# A session is not that long: a time further from the planned one is a typing mistake.
LONGEST = timedelta(hours=12)
# Beyond this many expected people (a training for everyone), the card lists the board's
# people and whoever was marked; others are marked by their email address.
LIST_LIMIT = 200
ROLE_ORDER = {
    AttendanceRole.CHAIR: 0,
    AttendanceRole.MEMBER: 1,
    AttendanceRole.COORDINATOR: 2,
    AttendanceRole.REFERRING: 3,
    AttendanceRole.GUEST: 4,
}
MEMBER_ATTENDANCE = {
    MemberRole.CHAIR: AttendanceRole.CHAIR,
    MemberRole.MEMBER: AttendanceRole.MEMBER,
    MemberRole.GUEST: AttendanceRole.GUEST,
}


# --- who is expected ------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """Someone the session expects: a board member, its coordinator, or an invitee."""

    user: User
    role: AttendanceRole
    discipline: Discipline | None
    unit: str


def in_record_language() -> Any:
    """What the session record stores (units, timeline messages) is written once, in the
    service's default language (the minutes' language)."""
    return force_locale(current_app.config["BABEL_DEFAULT_LOCALE"])


def unit_of(user: User, discipline: Discipline | None) -> str:
    """The user's centre, else (for board members without one) their discipline."""
    if user.centre is not None:
        return user.centre.name
    return unit_of_discipline(discipline) if discipline is not None else ""


def expected_people(session: BoardSession) -> list[Expected]:
    """Board members, the board's coordinator, and the invited referring doctors (plus the
    audience of a training or keynote session), each once, chair first."""
    people: dict[int, Expected] = {}

    def offer(user: User, role: AttendanceRole, discipline: Discipline | None, unit: str) -> None:
        if user.active and user.id not in people:
            people[user.id] = Expected(user, role, discipline, unit)

    for member in session.board.members:
        discipline = member.discipline or member.user.discipline
        offer(member.user, MEMBER_ATTENDANCE[member.role], discipline,
              unit_of(member.user, discipline))  # fmt: skip
    coordinator = session.board.coordinator
    if coordinator is not None:
        offer(coordinator, AttendanceRole.COORDINATOR, None,
              unit_of(coordinator, None) or session.board.name)  # fmt: skip
    if session.kind is SessionKind.CASE_REVIEW:
        # The invite job may not have caught up with the agenda yet: its doctors count anyway.
        for user in invites.referring_doctors(session):
            offer(user, AttendanceRole.REFERRING, None, unit_of(user, None))
    for row in invites.attendee_rows(session, active_only=True):
        if row.reason not in ("referring", "audience"):
            continue
        user = row.user
        role = AttendanceRole.REFERRING if user.role is Role.REFERRING else AttendanceRole.GUEST
        offer(user, role, user.discipline, unit_of(user, user.discipline))
    return sorted(people.values(), key=lambda e: (ROLE_ORDER[e.role], e.user.name, e.user.id))


# --- attendance -----------------------------------------------------------------------


@dataclass
class Person:
    """A line of the attendance card: expected or marked; ``present`` is None until marked."""

    user_id: int | None
    name: str
    unit: str
    role: AttendanceRole
    discipline: Discipline | None
    present: bool | None
    attendance_id: int | None = None

    @property
    def centre_unit(self) -> str:
        return centre_unit(self)


@dataclass
class RoomAttendance:
    session: BoardSession
    people: list[Person]
    guests: list[Person]
    quorum: Quorum
    unlisted: int = 0
    present_count: int = 0


def attendance_rows(session: BoardSession) -> list[Attendance]:
    return list(
        db.session.scalars(
            select(Attendance).where(Attendance.session_id == session.id).order_by(Attendance.id)
        )
    )


def live_quorum(session: BoardSession, rows: list[Attendance] | None = None) -> Quorum:
    """Each quorum discipline of the board needs one present member who practises it."""
    rows = attendance_rows(session) if rows is None else rows
    members = {m.user_id for m in session.board.members}
    present = [r.user for r in rows if r.present and r.user is not None and r.user_id in members]
    return invites.quorum_covered_by(session, present)


def room_attendance(session: BoardSession) -> RoomAttendance:
    """Expected people with what was marked, other people marked, guests and the quorum."""
    rows = attendance_rows(session)
    marked = {row.user_id: row for row in rows if row.user_id is not None}
    expected = expected_people(session)
    members = {m.user_id for m in session.board.members}
    people: list[Person] = []
    unlisted = 0
    for entry in expected:
        row = marked.pop(entry.user.id, None)
        board_side = entry.user.id in members or entry.role is AttendanceRole.COORDINATOR
        if row is None and len(expected) > LIST_LIMIT and not board_side:
            unlisted += 1
            continue
        people.append(
            Person(entry.user.id, entry.user.name, entry.unit, entry.role, entry.discipline,
                   row.present if row else None, row.id if row else None)
        )  # fmt: skip
    for row in marked.values():  # marked, no longer expected (e.g. left the board since)
        people.append(person_of(row))
    guests = [person_of(row) for row in rows if row.user_id is None]
    return RoomAttendance(
        session=session,
        people=people,
        guests=guests,
        quorum=live_quorum(session, rows),
        unlisted=unlisted,
        present_count=sum(1 for row in rows if row.present),
    )


def person_of(row: Attendance) -> Person:
    discipline = Discipline(row.discipline) if row.discipline else None
    return Person(row.user_id, row.name, row.unit, row.role, discipline, row.present, row.id)


def centre_unit(person: Person) -> str:
    """The unit to show beside the discipline: empty when the unit *is* the discipline (a
    member without a centre), which the page shows in the viewer's language instead."""
    if person.discipline is not None and person.unit == unit_of_discipline(person.discipline):
        return ""
    return person.unit


def unit_of_discipline(discipline: Discipline) -> str:
    from telemed.auth.labels import DISCIPLINE_LABELS

    with in_record_language():
        return str(DISCIPLINE_LABELS[discipline])


def require_room_open(session: BoardSession) -> None:
    """The record is kept from an hour before the start until the minutes are final."""
    if session.status is SessionStatus.CANCELLED:
        raise InvalidTransition(_("This session was cancelled."))
    if now_utc() < session.starts_at - OPENS_BEFORE:
        raise InvalidTransition(_("The room opens one hour before the session starts."))
    if session.record_final:
        raise InvalidTransition(_("The minutes are final; add an addendum instead."))


def record_open(session: BoardSession) -> bool:
    """Whether the room's record may still change (the forms are offered)."""
    return session.status is not SessionStatus.CANCELLED and not session.record_final


def mark_attendance(actor: User, session: BoardSession, user_id: Any, present: Any) -> Attendance:
    """Mark an expected person present or absent, with their name, unit, role and discipline
    as they are today (the minutes keep what was true that day)."""
    session_access.require_runner(actor, session)
    require_room_open(session)
    values = load_or_raise(MarkInputSchema(), {"user_id": user_id, "present": present})
    hold_row(BoardSession.sequence, session.id)  # two runners marking one person take turns
    return write_mark(actor, session, values["user_id"], values["present"])


def write_mark(actor: User, session: BoardSession, user_id: int, present: bool) -> Attendance:
    expected = next((e for e in expected_people(session) if e.user.id == user_id), None)
    row = db.session.scalar(
        select(Attendance).where(Attendance.session_id == session.id, Attendance.user_id == user_id)
    )
    if expected is None and row is None:
        raise InputError(
            {"user_id": [_("This person is not expected at this session; add them as a guest.")]}
        )
    if row is None:
        row = Attendance(session_id=session.id, user_id=user_id)
        db.session.add(row)
    if expected is not None:
        row.name, row.unit, row.role = expected.user.name, expected.unit, expected.role
        row.discipline = expected.discipline.value if expected.discipline else None
    row.present = present
    row.marked_by_id = actor.id
    row.marked_at = now_utc()
    db.session.flush()
    audit.record(actor, "attendance.mark", "session", session.id, user_id=user_id,
                 present=present)  # fmt: skip
    db.session.flush()
    return row


def mark_by_email(actor: User, session: BoardSession, email: str) -> Attendance:
    """Mark present someone of a large audience, found by their email address."""
    session_access.require_runner(actor, session)
    address = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(User.email == address)) if address else None
    expected = {e.user.id for e in expected_people(session)}
    if user is None or user.id not in expected:
        raise InputError({"email": [_("No one expected at this session has this address.")]})
    return mark_attendance(actor, session, user.id, True)


def add_guest(actor: User, session: BoardSession, name: Any, unit: Any) -> Attendance:
    """Someone present without an account here, by name and unit."""
    session_access.require_runner(actor, session)
    require_room_open(session)
    values = load_or_raise(GuestInputSchema(), {"name": name, "unit": unit})
    row = Attendance(
        session_id=session.id, user_id=None, name=values["name"], unit=values["unit"],
        role=AttendanceRole.GUEST, discipline=None, present=True, marked_by_id=actor.id,
        marked_at=now_utc(),
    )  # fmt: skip
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "attendance.guest", "session", session.id, attendance=row.id)
    db.session.flush()
    return row


def get_attendance(session: BoardSession, attendance_id: int) -> Attendance:
    return get_within(Attendance, attendance_id, owner="session_id", owner_id=session.id,
                      what="attendance")  # fmt: skip


def remove_attendance(actor: User, attendance: Attendance) -> None:
    """Take a line off the record (a guest added by mistake); a certificate keeps it."""
    session = attendance.session
    session_access.require_runner(actor, session)
    require_room_open(session)
    try:  # a certificate points at the attendance it certifies: the database refuses
        with db.session.begin_nested():
            db.session.delete(attendance)
    except IntegrityError:
        raise InvalidTransition(_("A certificate was issued for this attendance.")) from None
    audit.record(actor, "attendance.remove", "session", session.id, attendance=attendance.id,
                 user_id=attendance.user_id)  # fmt: skip
    db.session.flush()


# --- start, end, general matters ------------------------------------------------------


def local_to_utc(session: BoardSession, local: datetime) -> datetime:
    return to_utc(local, ZoneInfo(session.board.timezone))


def check_times(
    session: BoardSession, started: datetime | None, ended: datetime | None, names: tuple[str, str]
) -> None:
    """Times are in the past, near the planned start, and the end is not before the start."""
    start_name, end_name = names
    now = now_utc()
    errors: dict[str, list[str]] = {}
    if started is not None:
        if started > now:
            errors[start_name] = [_("The start cannot be in the future.")]
        elif not (session.starts_at - OPENS_BEFORE <= started <= session.starts_at + LONGEST):
            errors[start_name] = [_("The start must be close to the planned time.")]
    if ended is not None:
        if ended > now:
            errors[end_name] = [_("The end cannot be in the future.")]
        elif started is not None and ended < started:
            errors[end_name] = [_("The end cannot be before the start.")]
        elif started is not None and ended - started > LONGEST:
            errors[end_name] = [_("The end must be on the day of the session.")]
    if errors:
        raise InputError(errors)


def start_session(
    actor: User, session: BoardSession, at_local: datetime | None = None
) -> BoardSession:
    """The session begins now (or, as a correction, at a time on the board's clock)."""
    session_access.require_runner(actor, session)
    require_room_open(session)
    if at_local is None:
        if session.started_at is not None:
            raise InvalidTransition(_("The session has already started."))
        started = now_utc()
    else:
        started = local_to_utc(session, at_local)
    check_times(session, started, session.ended_at, ("at_local", "at_local"))
    session.started_at = started
    audit.record(actor, "session.start", "session", session.id, at=started.isoformat())
    db.session.flush()
    return session


def end_session(
    actor: User, session: BoardSession, at_local: datetime | None = None
) -> BoardSession:
    session_access.require_runner(actor, session)
    require_room_open(session)
    if session.started_at is None:
        raise InvalidTransition(_("Start the session first."))
    if at_local is None and session.ended_at is not None:
        raise InvalidTransition(_("The session has already ended."))
    ended = now_utc() if at_local is None else local_to_utc(session, at_local)
    check_times(session, session.started_at, ended, ("at_local", "at_local"))
    session.ended_at = ended
    audit.record(actor, "session.end", "session", session.id, at=ended.isoformat())
    db.session.flush()
    return session


def correct_times(actor: User, session: BoardSession, data: dict[str, Any]) -> BoardSession:
    """Set both times from a form on the board's clock (the end may stay open)."""
    session_access.require_runner(actor, session)
    require_room_open(session)
    values = load_or_raise(TimesInputSchema(), data)
    started = local_to_utc(session, values["started_at_local"])
    ended = values["ended_at_local"]
    ended = local_to_utc(session, ended) if ended is not None else None
    check_times(session, started, ended, ("started_at_local", "ended_at_local"))
    session.started_at, session.ended_at = started, ended
    audit.record(actor, "session.times", "session", session.id, started_at=started.isoformat(),
                 ended_at=ended.isoformat() if ended else None)  # fmt: skip
    db.session.flush()
    return session


def set_general_matters(actor: User, session: BoardSession, data: dict[str, Any]) -> BoardSession:
    session_access.require_runner(actor, session)
    require_room_open(session)
    values = load_or_raise(GeneralMattersInputSchema(), data)
    session.general_matters = values["general_matters"]
    audit.record(actor, "session.general_matters", "session", session.id)
    db.session.flush()
    return session


# --- the video room -------------------------------------------------------------------


@dataclass(frozen=True)
class Video:
    """Whether "Join video" is active: from 15 minutes before the start until the end (or,
    for a session still running late in the room, until it is ended)."""

    open: bool
    opens_at: datetime
    over: bool


def video_state(session: BoardSession) -> Video:
    now = now_utc()
    opens_at = session.starts_at - JOIN_FROM
    if session.ended_at is not None:
        closes_at = session.ended_at
    elif session.started_at is not None:
        closes_at = session.ends_at + session_service.LATE_GRACE
    else:
        closes_at = session.ends_at
    cancelled = session.status is SessionStatus.CANCELLED
    over = cancelled or now >= closes_at
    return Video(open=not over and now >= opens_at, opens_at=opens_at, over=over)


# --- outcomes and recommendations -----------------------------------------------------


def can_decide(user: User, item: AgendaItem) -> bool:
    """Whether the outcome form is offered now (the services check again): never once the
    minutes are final."""
    return (
        record_open(item.session)
        and session_access.can_run_session(user, item.session)
        and item.outcome is ItemOutcome.PENDING
        and now_utc() >= item.session.starts_at - OPENS_BEFORE
    )


def presenter_choices(session: BoardSession) -> list[User]:
    """Who may be named as having presented a case: expected or present people."""
    people = {e.user.id: e.user for e in expected_people(session)}
    for row in attendance_rows(session):
        if row.user is not None and row.present:
            people.setdefault(row.user.id, row.user)
    return sorted(people.values(), key=lambda u: (u.name, u.id))


def record_outcome(actor: User, item: AgendaItem, data: dict[str, Any]) -> Recommendation | None:
    """Discussed (the case gets a recommendation and its doctor an email) or deferred (the
    case goes back to scheduling ahead of newer ones). Returns the recommendation."""
    session = item.session
    session_access.require_runner(actor, session)
    if session.record_final:
        raise InvalidTransition(_("The minutes are final; add an addendum instead."))
    session_service.require_decidable(item)
    values = load_or_raise(OutcomeInputSchema(), data)
    if values["outcome"] == "deferred":
        defer(actor, item, values["reason"], values["deferral_reason"])
        db.session.flush()
        return None
    presenter_id = values["presenter_id"]
    if presenter_id is None:
        presenter_id = item.case.submitted_by_id
    elif presenter_id not in {user.id for user in presenter_choices(session)}:
        raise InputError({"presenter_id": [_("Choose someone expected or present.")]})
    session_service.settle_discussed(
        actor, item, CaseStatus.RECOMMENDATION_ISSUED, presenter_id=presenter_id
    )
    recommendation = new_recommendation(actor, item, values)
    db.session.flush()
    return recommendation


def add_recommendation(actor: User, item: AgendaItem, data: dict[str, Any]) -> Recommendation:
    """A further recommendation on a case the session already discussed."""
    session = item.session
    session_access.require_runner(actor, session)
    if item.outcome is not ItemOutcome.DISCUSSED:
        raise InvalidTransition(_("Record the outcome of this case first."))
    require_room_open(session)
    values = load_or_raise(RecommendationInputSchema(), data)
    recommendation = new_recommendation(actor, item, values)
    db.session.flush()
    return recommendation


def new_recommendation(actor: User, item: AgendaItem, values: dict[str, Any]) -> Recommendation:
    case = item.case
    recommendation = Recommendation(
        case_id=case.id, session_id=item.session_id, agenda_item_id=item.id,
        category=values["category"], text=values["text"], consensus=values["consensus"],
        dissent=values["dissent"], responsible=values["responsible"], recorded_by_id=actor.id,
        recorded_at=now_utc(),
    )  # fmt: skip
    db.session.add(recommendation)
    db.session.flush()
    with in_record_language():
        label = str(RECOMMENDATION_CATEGORY_LABELS[recommendation.category])
    add_event(case, actor, "recommendation", None, None, f"{item.agenda_code} · {label}")
    audit.record(actor, "recommendation.create", "recommendation", recommendation.id,
                 case=case.code, category=recommendation.category.value)  # fmt: skip
    room_notices.recommendation_issued(recommendation, case.submitted_by)
    return recommendation


def defer(
    actor: User, item: AgendaItem, reason: str, why: DeferralReason = DeferralReason.OTHER
) -> None:
    """Back to scheduling with precedence: the next agenda takes it before newer cases."""
    session_service.release_item(item, ItemOutcome.DEFERRED, carry=True)
    item.decided_at = now_utc()
    item.deferral_reason = why
    case = item.case
    with in_record_language():
        label = str(DEFERRAL_REASON_LABELS[why])
    add_event(case, actor, "deferred", None, None, f"{item.agenda_code} · {label}: {reason}")
    audit.record(actor, "agenda.deferred", "case", case.id, code=case.code,
                 session=item.session.number)  # fmt: skip
    room_notices.case_deferred(item, case.submitted_by)


# --- adherence ------------------------------------------------------------------------


def record_adherence(
    actor: User, recommendation: Recommendation, data: dict[str, Any]
) -> Recommendation:
    """The referring centre reports whether the recommendation was carried out; a later
    report replaces it (who and when are kept with it, every report in the audit log)."""
    access.require_adherence(actor, recommendation)
    values = load_or_raise(AdherenceInputSchema(), data)
    before = recommendation.adherence
    recommendation.adherence = values["adherence"]
    recommendation.adherence_reason = values["reason"]
    recommendation.adherence_by_id = actor.id
    recommendation.adherence_at = now_utc()
    case = recommendation.case
    code = recommendation.agenda_item.agenda_code if recommendation.agenda_item else case.code
    with in_record_language():
        label = str(ADHERENCE_LABELS[values["adherence"]])
    add_event(case, actor, "adherence", None, None, f"{code} · {label}")
    audit.record(actor, "recommendation.adherence", "recommendation", recommendation.id,
                 case=case.code, before=before.value if before else None,
                 after=values["adherence"].value)  # fmt: skip
    db.session.flush()
    return recommendation


# --- reading --------------------------------------------------------------------------


def case_recommendations(case_id: int) -> list[Recommendation]:
    return list(
        db.session.scalars(
            select(Recommendation)
            .where(Recommendation.case_id == case_id)
            .order_by(Recommendation.recorded_at, Recommendation.id)
        )
    )


def earlier_entries(item: AgendaItem) -> list[AgendaItem]:
    """The case's other agenda entries that were a session's business, newest first."""
    return list(
        db.session.scalars(
            select(AgendaItem)
            .where(
                AgendaItem.case_id == item.case_id,
                AgendaItem.id != item.id,
                AgendaItem.outcome.in_(AGENDA_OUTCOMES),
                AgendaItem.outcome != ItemOutcome.PENDING,
            )
            .order_by(AgendaItem.id.desc())
        )
    )


def get_item_in(session: BoardSession, item_id: int) -> AgendaItem:
    return get_within(AgendaItem, item_id, owner="session_id", owner_id=session.id,
                      what="agenda entry")  # fmt: skip


def record_view(actor: User, what: str, object_type: str, object_id: int, **details: Any) -> None:
    """Reads of the room and of a case's review are audited like the case page."""
    audit.record(actor, what, object_type, object_id, **details)
    db.session.flush()
