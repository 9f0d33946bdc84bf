"""Session lifecycle: created ahead from the rule, extraordinary, moved, cancelled,
agenda closed at the cut-off, held after it ends. Every function is idempotent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, or_, select, update

from telemed.audit import service as audit
from telemed.auth.models import User
from telemed.boards.models import Board
from telemed.boards.recurrence import cutoff_for, occurrences, room_url, to_utc
from telemed.cases.models import Case, CaseStatus
from telemed.cases.service import add_event
from telemed.core.clock import local_day_start, now_utc
from telemed.core.errors import Forbidden, InputError, InvalidTransition, NotFound
from telemed.core.schemas import load_or_raise
from telemed.core.sql import hold_row
from telemed.extensions import db
from telemed.sessions import notices, working_days
from telemed.sessions.access import visible_sessions
from telemed.sessions.models import (
    DECIDE_FROM,
    UPCOMING,
    AgendaItem,
    BoardSession,
    ItemOutcome,
    SessionStatus,
)
from telemed.sessions.order_of_business import order_of_business
from telemed.sessions.schemas import (
    ExtraordinaryInputSchema,
    LocalStartSchema,
    start_field,
    start_shape,
)
from telemed.sessions.signals import session_changed

# A session started in the room and not ended keeps its cases this long after its planned end.
LATE_GRACE = timedelta(hours=3)


def next_number(board_id: int) -> int:
    """Take the board's next session number (the row update serialises concurrent takers)."""
    taken = db.session.execute(
        update(Board)
        .where(Board.id == board_id)
        .values(next_session_number=Board.next_session_number + 1)
        .returning(Board.next_session_number)
    ).scalar_one()
    return taken - 1


def new_session(board: Board, local_start: datetime, **extra: object) -> BoardSession:
    zone = ZoneInfo(board.timezone)
    starts_at = to_utc(local_start, zone)
    number = next_number(board.id)
    session = BoardSession(
        board_id=board.id,
        number=number,
        kind=board.kind,
        status=SessionStatus.PLANNED,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=board.duration_minutes),
        cutoff_at=cutoff_for(board, starts_at),
        capacity=board.case_capacity,
        booked=0,
        room_url=room_url(board, number),
        sequence=0,
        created_at=now_utc(),
        **extra,
    )
    db.session.add(session)
    return session


def generate_sessions(horizon: timedelta | None = None) -> int:
    """Create the sessions of every active board up to the horizon; safe to run twice, even
    at the same time: a second run waits for the board and then sees what the first made."""
    horizon = horizon or timedelta(weeks=current_app.config["SCHEDULE_HORIZON_WEEKS"])
    now = now_utc()
    created = 0
    for board in db.session.scalars(select(Board).where(Board.active.is_(True))).all():
        hold_row(Board.next_session_number, board.id)  # two runs take turns per board
        existing = set(
            db.session.scalars(
                select(BoardSession.occurrence_key).where(
                    BoardSession.board_id == board.id, BoardSession.occurrence_key.is_not(None)
                )
            )
        )
        due = list(occurrences(board, now, now + horizon))
        if due:
            created += generate_board_sessions(board, due, existing, now)
        db.session.flush()
    return created


def generate_board_sessions(
    board: Board, due: list[datetime], existing: set[str | None], now: datetime
) -> int:
    """The board's sessions for the occurrences ``due`` (local wall times) not yet made.

    None falls on an official rest day or a day off of the board: such a meeting is skipped
    or held on the previous or next working day, as the board's ``day_off_policy`` says
    (keeping its ``occurrence_key``, so it is made once). Skipped ones leave no trace, so a
    day off removed later gets its meeting at the next run."""
    known = working_days.board_days(board, due[0].date(), due[-1].date())
    # Meetings due on open days will be held there: a moved one must not land on them.
    known.meeting_days |= {
        local.date() for local in due if not working_days.is_closed_day(board, local.date(), known)
    }
    zone = ZoneInfo(board.timezone)
    created = 0
    for local in due:
        key = local.isoformat(timespec="minutes")
        if key in existing:
            continue
        day = working_days.meeting_day(board, local.date(), known)
        if day is None:
            continue
        start = working_days.moved_start(local, day)
        if to_utc(start, zone) <= now:  # the previous working day has already gone by
            continue
        new_session(board, start, occurrence_key=key)
        known.meeting_days.add(day)
        created += 1
    return created


def days_off_marked(
    _sender: object = None, *, board_id: int, days: list[date], actor: User, **_: object
) -> None:
    """On ``days_off_marked``: the board's coming sessions on those days move to the previous
    or next working day, or are cancelled, as its ``day_off_policy`` says, through the usual
    move and cancel (invitations updated, cases back to assignment with precedence, people
    told)."""
    board = db.session.get(Board, board_id)
    if board is None or not days:
        return
    # Take turns with the generator: a run that read the days off before these were marked
    # has committed its sessions once this returns, so they are found below and moved too.
    hold_row(Board.next_session_number, board.id)
    zone = ZoneInfo(board.timezone)
    wanted = set(days)
    now = now_utc()
    planned = db.session.scalars(
        select(BoardSession)
        .where(
            BoardSession.board_id == board.id,
            BoardSession.status.in_(UPCOMING),
            BoardSession.starts_at > now,
            BoardSession.starts_at >= local_day_start(min(wanted), zone),
            BoardSession.starts_at < local_day_start(max(wanted) + timedelta(days=1), zone),
        )
        .order_by(BoardSession.starts_at, BoardSession.id)
    ).all()
    on_days = [s for s in planned if s.starts_at.astimezone(zone).date() in wanted]
    if not on_days:
        return
    known = working_days.board_days(board, min(wanted), max(wanted))
    for session in on_days:
        local = session.starts_at.astimezone(zone).replace(tzinfo=None)
        day = working_days.meeting_day(board, local.date(), known)
        start = working_days.moved_start(local, day) if day is not None else None
        if start is not None and day is not None and to_utc(start, zone) > now:
            move_session(actor, session, start)
            known.meeting_days.add(day)
        else:
            cancel_session(actor, session)


def planned_on_days(board: Board, first: object, last: object = None) -> list[BoardSession]:
    """The board's coming sessions on the board-local days ``first`` to ``last`` (ISO dates
    as typed; nothing when they do not read as dates), to tell what marking them off did."""
    try:
        first_day = date.fromisoformat(str(first))
        last_day = date.fromisoformat(str(last)) if last else first_day
    except ValueError:
        return []
    if not timedelta(0) <= last_day - first_day <= timedelta(days=366):
        return []
    zone = ZoneInfo(board.timezone)
    return list(
        db.session.scalars(
            select(BoardSession).where(
                BoardSession.board_id == board.id,
                BoardSession.status.in_(UPCOMING),
                BoardSession.starts_at > now_utc(),
                BoardSession.starts_at >= local_day_start(first_day, zone),
                BoardSession.starts_at < local_day_start(last_day + timedelta(days=1), zone),
            )
        )
    )


def get_session(session_id: int) -> BoardSession:
    session = db.session.get(BoardSession, session_id)
    if session is None:
        raise NotFound("session not found")
    return session


def require_staff(actor: User) -> None:
    if not actor.is_staff:
        raise Forbidden(_("Only coordinators can change sessions."))


def create_extraordinary(
    actor: User,
    board: Board,
    local_start: datetime,
    topic: str | None = None,
    speaker: str | None = None,
    audience: str | None = None,
) -> BoardSession:
    """An extra session at a local time of the board's zone (must be in the future)."""
    require_staff(actor)
    starts_at = to_utc(local_start, ZoneInfo(board.timezone))
    if starts_at <= now_utc():
        raise InputError({"starts_at": [_("Choose a time in the future.")]})
    session = new_session(
        board, local_start, extraordinary=True, topic=topic, speaker=speaker, audience=audience
    )
    session.cutoff_at = session.starts_at  # an extraordinary session takes cases until it starts
    db.session.flush()
    session_changed.send(session)
    audit.record(actor, "session.create", "session", session.id, number=session.number)
    db.session.flush()
    return session


def move_session(actor: User, session: BoardSession, local_start: datetime) -> BoardSession:
    """New time: invites change, and its cases go back to assignment with precedence."""
    require_staff(actor)
    if session.status in (SessionStatus.HELD, SessionStatus.CANCELLED):
        raise InvalidTransition(_("A held or cancelled session cannot be moved."))
    board = session.board
    starts_at = to_utc(local_start, ZoneInfo(board.timezone))
    if starts_at <= now_utc():
        raise InputError({"starts_at": [_("Choose a time in the future.")]})
    cutoff_at = starts_at if session.extraordinary else cutoff_for(board, starts_at)
    agenda_was_closed = session.status is SessionStatus.AGENDA_CLOSED or (
        session.cutoff_at <= now_utc()
    )
    session.starts_at = starts_at
    session.ends_at = starts_at + timedelta(minutes=board.duration_minutes)
    session.cutoff_at = cutoff_at
    session.sequence += 1
    # Moved after its cut-off to a time whose cut-off has passed too, the frozen agenda moves
    # with it (releasing the cases would only leave the moved session empty).
    if not (agenda_was_closed and cutoff_at <= now_utc()):
        session.status = SessionStatus.PLANNED
        session.order_of_business = None
        release_all(session, ItemOutcome.SESSION_CHANGED, notify=notices.session_changed)
    session_changed.send(session)
    audit.record(actor, "session.move", "session", session.id, starts_at=starts_at.isoformat())
    db.session.flush()
    return session


def roster_changed(_sender: object = None, *, board_id: int, **_: object) -> None:
    """On ``membership_changed``: the board's coming sessions invite a new roster (the
    invites job notices the new roster version and syncs them)."""
    db.session.execute(
        update(BoardSession)
        .where(
            BoardSession.board_id == board_id,
            BoardSession.starts_at > now_utc(),
            BoardSession.status.in_(UPCOMING),
        )
        .values(roster_version=BoardSession.roster_version + 1)
        .execution_options(synchronize_session=False)
    )


def cancel_session(actor: User, session: BoardSession) -> BoardSession:
    require_staff(actor)
    if session.status in (SessionStatus.HELD, SessionStatus.CANCELLED):
        raise InvalidTransition(_("A held or cancelled session cannot be cancelled."))
    session.status = SessionStatus.CANCELLED
    session.sequence += 1
    release_all(session, ItemOutcome.SESSION_CHANGED, notify=notices.session_changed)
    session_changed.send(session)
    audit.record(actor, "session.cancel", "session", session.id, number=session.number)
    db.session.flush()
    return session


def release_all(
    session: BoardSession,
    outcome: ItemOutcome,
    notify: Callable[[BoardSession, Case, User], object] | None = None,
) -> list[Case]:
    """Take every pending case off the agenda; they go back to the queue with precedence."""
    released = []
    for item in session.pending_items:
        release_item(item, outcome, carry=True)
        if notify is not None:
            notify(session, item.case, item.case.submitted_by)
        released.append(item.case)
    return released


def release_item(item: AgendaItem, outcome: ItemOutcome, *, carry: bool) -> None:
    """End a pending entry, free its place, and put the case back in the queue."""
    item.outcome = outcome
    free_place(item, roster_changed=True)
    case = item.case
    if case.status is CaseStatus.SCHEDULED:
        case.status = CaseStatus.ACCEPTED
        add_event(case, None, "unscheduled", CaseStatus.SCHEDULED, CaseStatus.ACCEPTED,
                  item.agenda_code)  # fmt: skip
    if carry:
        case.carry_over += 1
        item.carried_over = True


def free_place(item: AgendaItem, *, roster_changed: bool = False) -> None:
    """An entry stops holding a place (``booked`` counts pending entries); when its doctor
    may no longer be invited, the invite job is told the roster changed."""
    values: dict[str, Any] = {"booked": BoardSession.booked - 1}
    if roster_changed:
        values["roster_version"] = BoardSession.roster_version + 1
    db.session.execute(
        update(BoardSession).where(BoardSession.id == item.session_id).values(**values)
    )


def close_due_agendas() -> int:
    """At the cut-off: freeze the agenda, build the order of business, tell the attendees."""
    now = now_utc()
    due = db.session.scalars(
        select(BoardSession).where(
            BoardSession.status == SessionStatus.PLANNED, BoardSession.cutoff_at <= now
        )
    ).all()
    for session in due:
        session.status = SessionStatus.AGENDA_CLOSED
        session.order_of_business = order_of_business(session)
        for user in attendees(session):
            notices.agenda_closed(session, user)
        db.session.flush()
    return len(due)


def attendees(session: BoardSession) -> list[User]:
    """Board members and the referring doctors of the cases on the agenda, once each."""
    people: dict[int, User] = {}
    for member in session.board.members:
        if member.user.active:
            people[member.user_id] = member.user
    for item in session.pending_items:
        doctor = item.case.submitted_by
        if doctor.active:
            people[doctor.id] = doctor
    return list(people.values())


def finish_ended_sessions() -> int:
    """After the end: the session is held; cases not discussed go back with precedence.

    A session started in the room and not yet ended is running late: it keeps its cases
    until ``LATE_GRACE`` after its planned end, so a long meeting loses none of them.
    """
    now = now_utc()
    ended = db.session.scalars(
        select(BoardSession).where(
            BoardSession.status.in_(UPCOMING),
            BoardSession.ends_at <= now,
            or_(
                BoardSession.started_at.is_(None),
                BoardSession.ended_at.is_not(None),
                BoardSession.ends_at <= now - LATE_GRACE,
            ),
        )
    ).all()
    for session in ended:
        session.status = SessionStatus.HELD
        release_all(session, ItemOutcome.NOT_DISCUSSED, notify=notices.case_not_discussed)
        db.session.flush()
    return len(ended)


def require_decidable(item: AgendaItem) -> None:
    """An outcome is recorded once, for a pending entry, from shortly before the start."""
    if item.outcome is not ItemOutcome.PENDING:
        raise InvalidTransition(_("This agenda entry is already settled."))
    if now_utc() < item.session.starts_at - DECIDE_FROM:
        raise InvalidTransition(_("An outcome can be recorded once the session starts."))


def settle_discussed(
    actor: User, item: AgendaItem, to_status: CaseStatus, presenter_id: int | None = None
) -> None:
    """The board discussed the case: the entry frees its place and the case's precedence is
    spent. Runs in the caller's transaction (the caller commits)."""
    session = item.session
    item.outcome = ItemOutcome.DISCUSSED
    item.decided_at = now_utc()
    item.presented_by_id = presenter_id
    free_place(item)
    case = item.case
    from_status = case.status
    case.status = to_status
    case.carry_over = 0
    if case.first_discussed_at is None or session.starts_at < case.first_discussed_at:
        case.first_discussed_at = session.starts_at
    add_event(case, actor, "discussed", from_status, to_status, item.agenda_code)
    audit.record(actor, "agenda.discussed", "case", case.id, code=case.code,
                 session=session.number)  # fmt: skip


def mark_discussed(actor: User, item: AgendaItem) -> AgendaItem:
    """Record that the board discussed the case without a recommendation (the room records
    one with ``reviews.room.record_outcome``)."""
    require_staff(actor)
    require_decidable(item)
    settle_discussed(actor, item, CaseStatus.DISCUSSED)
    db.session.flush()
    return item


PAST_PER_PAGE = 10


def filtered_sessions(user: User, filters: dict[str, Any]) -> Select[BoardSession]:
    """The sessions ``user`` may see, filtered; ``date_from``/``date_to`` are days in the
    user's time zone (inclusive). ``sessions.listing`` pages through them."""
    query = visible_sessions(user)
    if filters.get("board_id") is not None:
        query = query.where(BoardSession.board_id == filters["board_id"])
    if filters.get("status") is not None:
        query = query.where(BoardSession.status == filters["status"])
    zone = ZoneInfo(user.display_timezone)
    if filters.get("date_from"):
        query = query.where(BoardSession.starts_at >= local_day_start(filters["date_from"], zone))
    if filters.get("date_to"):
        next_day = filters["date_to"] + timedelta(days=1)
        query = query.where(BoardSession.starts_at < local_day_start(next_day, zone))
    return query


def upcoming_sessions(board: Board, limit: int = 30) -> list[BoardSession]:
    return list(
        db.session.scalars(
            select(BoardSession)
            .where(BoardSession.board_id == board.id, BoardSession.ends_at > now_utc())
            .order_by(BoardSession.starts_at, BoardSession.id)
            .limit(limit)
        )
    )


def past_sessions(board: Board, page: int) -> Pagination:
    query = (
        select(BoardSession)
        .where(BoardSession.board_id == board.id, BoardSession.ends_at <= now_utc())
        .order_by(BoardSession.starts_at.desc(), BoardSession.id.desc())
    )
    return db.paginate(query, page=page, per_page=PAST_PER_PAGE, error_out=False)


def with_start_field(err: InputError, data: dict[str, Any]) -> InputError:
    """The lifecycle speaks of ``starts_at``; errors name the field the caller sent."""
    errors = dict(err.errors)
    if "starts_at" in errors:
        errors[start_field(data)] = errors.pop("starts_at")
    return InputError(errors)


def schedule_extraordinary(actor: User, board: Board, data: dict[str, Any]) -> BoardSession:
    """An extra session at a local time of the board's zone, with its topic, speaker and
    audience if any (the form and the API both come here)."""
    require_staff(actor)
    values = load_or_raise(ExtraordinaryInputSchema(exclude=start_shape(data)), data)
    try:
        return create_extraordinary(
            actor, board, values["local_start"], topic=values["topic"],
            speaker=values["speaker"], audience=values["audience"],
        )  # fmt: skip
    except InputError as err:
        raise with_start_field(err, data) from None


def reschedule(actor: User, session: BoardSession, data: dict[str, Any]) -> BoardSession:
    """A new start typed on the board's clock (the form and the API both come here)."""
    require_staff(actor)
    values = load_or_raise(LocalStartSchema(exclude=start_shape(data)), data)
    try:
        return move_session(actor, session, values["local_start"])
    except InputError as err:
        raise with_start_field(err, data) from None
