"""Agreements (acuerdos): recorded in a session, read out at its end, and followed up at every
later session of the board until someone marks them done.

The follow-up of a session lists the board's agreements from earlier sessions that were
still open then; an agreement marked done shows as done in the session whose follow-up
reported it (``done_session``: the room it was marked in, or the board's next session) and
disappears from the ones after. Overdue means past its due date on the board's clock.

A board that has met for years carries a backlog, so the follow-up is grouped
(``follow_up``): what was reported at this session and what fell due since the previous one
are the session's business; older overdue agreements and those not yet due are counted and
listed apart. A session whose minutes are final reports nothing more: a mark posted to its
room is refused, and a mark made later goes to the board's next session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, and_, false, not_, or_, select
from sqlalchemy.orm import aliased, contains_eager, selectinload

from telemed.agreements import notices
from telemed.agreements.access import can_mark_done, visible_agreements
from telemed.agreements.models import Agreement
from telemed.agreements.schemas import (
    AgreementDoneInputSchema,
    AgreementInputSchema,
    AgreementListQuerySchema,
)
from telemed.audit import service as audit
from telemed.auth.models import Role, User
from telemed.boards.models import Board
from telemed.cases.access import can_see_case, visible_cases
from telemed.cases.models import Case
from telemed.cases.service import add_event
from telemed.core.clock import now_utc
from telemed.core.errors import Forbidden, InputError, InvalidTransition
from telemed.core.schemas import load_or_raise
from telemed.extensions import db
from telemed.room.models import Attendance
from telemed.sessions.access import require_runner
from telemed.sessions.models import BoardSession, SessionAttendee, SessionStatus


@dataclass
class AgreementView:
    """An agreement as one viewer may see it: the text hidden when it concerns a case the
    viewer does not see (another centre's), and whether it is overdue today."""

    agreement: Agreement
    text: str | None
    overdue: bool

    def __getattr__(self, name: str) -> Any:
        return getattr(self.agreement, name)


# --- rules ----------------------------------------------------------------------------


def board_today(board: Board) -> date:
    return now_utc().astimezone(ZoneInfo(board.timezone)).date()


def is_overdue(agreement: Agreement) -> bool:
    return agreement.done_at is None and agreement.due_date < board_today(agreement.board)


def agenda_cases(session: BoardSession) -> list[Case]:
    """Cases an agreement of this session may concern: those on its agenda."""
    return [item.case for item in session.agenda]


def owner_candidates(session: BoardSession) -> list[User]:
    """Who may own an agreement: the board's members and coordinator, the session's
    attendees and invitees, and the referring doctors of the cases on its agenda."""
    people: dict[int, User] = {}
    board = session.board
    for member in board.members:
        people[member.user_id] = member.user
    if board.coordinator is not None:
        people[board.coordinator.id] = board.coordinator
    for case_ in agenda_cases(session):
        people[case_.submitted_by_id] = case_.submitted_by
    attended = select(Attendance.user_id).where(
        Attendance.session_id == session.id, Attendance.user_id.is_not(None)
    )
    invited = select(SessionAttendee.user_id).where(
        SessionAttendee.session_id == session.id, SessionAttendee.active.is_(True)
    )
    for user in db.session.scalars(select(User).where(User.id.in_(attended.union(invited)))):
        people[user.id] = user
    return sorted((u for u in people.values() if u.active), key=lambda u: (u.name, u.id))


# --- changes --------------------------------------------------------------------------


def record_agreement(actor: User, session: BoardSession, data: dict[str, Any]) -> Agreement:
    """Record an agreement in a session (members and coordinators); its owner is told."""
    require_runner(actor, session)
    if session.status is SessionStatus.CANCELLED:
        raise InvalidTransition(_("This session was cancelled."))
    if session.record_final:
        raise InvalidTransition(
            _("The minutes of this session are final; record the agreement in a later session.")
        )
    values = load_or_raise(AgreementInputSchema(), data)
    errors: dict[str, list[str]] = {}
    owner = None
    if values["owner_id"] is not None:
        owner = next((u for u in owner_candidates(session) if u.id == values["owner_id"]), None)
        if owner is None:
            errors["owner_id"] = [_("Choose a member or an attendee of the session.")]
    elif not values["owner_unit"]:
        errors["owner_id"] = [_("Name who carries it out: a person, a unit, or both.")]
    if values["due_date"] < board_today(session.board):
        errors["due_date"] = [_("The due date is in the past.")]
    case_ = None
    if values["case_id"] is not None:
        case_ = next((c for c in agenda_cases(session) if c.id == values["case_id"]), None)
        if case_ is None:
            errors["case_id"] = [_("Choose a case on this session's agenda.")]
    if errors:
        raise InputError(errors)
    agreement = Agreement(
        board_id=session.board_id,
        session=session,
        case=case_,
        text=values["text"],
        owner=owner,
        owner_unit=values["owner_unit"],
        due_date=values["due_date"],
        created_by_id=actor.id,
        created_at=now_utc(),
    )
    db.session.add(agreement)
    db.session.flush()
    if case_ is not None:
        add_event(case_, actor, "agreement", None, None, agreement.text)
    audit.record(
        actor, "agreement.create", "agreement", agreement.id, session=session.number,
        board=session.board_id, case=case_.code if case_ else None,
        owner_id=owner.id if owner else None, due_date=agreement.due_date.isoformat(),
    )  # fmt: skip
    if owner is not None and owner.id != actor.id:
        notices.agreement_owned(agreement, owner)
    db.session.flush()
    return agreement


def mark_done(actor: User, agreement: Agreement, data: dict[str, Any]) -> Agreement:
    """Mark an agreement done (who, when, an optional note), reported at the session given or
    the board's next one whose minutes are not final."""
    if not can_mark_done(actor, agreement):
        raise Forbidden(_("Only the board's members, its coordinators and the owner can do this."))
    if agreement.done_at is not None:
        raise InvalidTransition(_("This agreement is already marked done."))
    values = load_or_raise(AgreementDoneInputSchema(), data)
    agreement.done_session = reporting_session(agreement, values["session_id"])
    agreement.done_at = now_utc()
    agreement.done_by_id = actor.id
    agreement.done_note = values["note"]
    if agreement.case is not None:
        add_event(agreement.case, actor, "agreement_done", None, None, agreement.text)
    audit.record(
        actor, "agreement.done", "agreement", agreement.id,
        case=agreement.case.code if agreement.case else None,
        done_session=agreement.done_session.number if agreement.done_session else None,
    )  # fmt: skip
    db.session.flush()
    return agreement


def reopen(actor: User, agreement: Agreement) -> Agreement:
    """Undo a "done" marked by mistake: the agreement is followed up again."""
    if not can_mark_done(actor, agreement):
        raise Forbidden(_("Only the board's members, its coordinators and the owner can do this."))
    if agreement.done_at is None:
        raise InvalidTransition(_("This agreement is still open."))
    reported = agreement.done_session
    if reported is not None and reported.record_final:
        # The final minutes of that session say it was done; undoing it would contradict them.
        raise InvalidTransition(
            _("It was reported done at session %(number)d, whose minutes are final; correct "
              "it with an addendum to those minutes.", number=reported.number)
        )  # fmt: skip
    audit.record(
        actor, "agreement.reopen", "agreement", agreement.id,
        done_at=agreement.done_at.isoformat(), done_by=agreement.done_by_id,
    )  # fmt: skip
    agreement.done_at = None
    agreement.done_by_id = None
    agreement.done_note = None
    agreement.done_session = None
    db.session.flush()
    return agreement


def reporting_session(agreement: Agreement, session_id: int | None) -> BoardSession | None:
    """The session given (the room the agreement was marked in), or the board's session in
    progress or next, from the agreement's own session on, whose minutes are not final.

    A session whose minutes are final reports nothing more (its minutes would never show
    it): a mark posted to its room is refused, and a later one goes to the next session.
    """
    origin = agreement.session
    if session_id is not None:
        session = db.session.get(BoardSession, session_id)
        if (
            session is None
            or session.board_id != agreement.board_id
            or session.status is SessionStatus.CANCELLED
            or session.starts_at < origin.starts_at
        ):
            raise InputError(
                {"session_id": [_("Choose this board's session where it was reported.")]}
            )
        if session.record_final:
            raise InvalidTransition(
                _("The minutes of session %(number)d are final: mark it done from the board's "
                  "next session.", number=session.number)
            )  # fmt: skip
        return session
    return db.session.scalar(
        select(BoardSession)
        .where(
            BoardSession.board_id == agreement.board_id,
            BoardSession.status != SessionStatus.CANCELLED,
            BoardSession.starts_at >= origin.starts_at,
            BoardSession.ends_at > now_utc(),
            BoardSession.minutes_final_at.is_(None),
        )
        .order_by(BoardSession.starts_at, BoardSession.id)
        .limit(1)
    )


# --- reading --------------------------------------------------------------------------


def view(user: User, agreement: Agreement, seen: set[int] | None = None) -> AgreementView:
    """``seen``: ids of cases the viewer sees, when already known (lists)."""
    hidden = False
    if agreement.case_id is not None and not user.is_staff:
        if seen is not None:
            hidden = agreement.case_id not in seen
        else:
            case = agreement.case  # present whenever ``case_id`` is (a foreign key)
            hidden = case is None or not can_see_case(user, case)
    return AgreementView(agreement, None if hidden else agreement.text, is_overdue(agreement))


def views(user: User, agreements: list[Agreement]) -> list[AgreementView]:
    case_ids = {a.case_id for a in agreements if a.case_id is not None}
    seen: set[int] = set()
    if case_ids:
        seen = set(
            db.session.scalars(
                visible_cases(user).with_only_columns(Case.id).where(Case.id.in_(case_ids))
            )
        )
    return [view(user, a, seen) for a in agreements]


def session_agreements(session: BoardSession) -> list[Agreement]:
    """The agreements recorded in this session, in the order they were made."""
    return list(
        db.session.scalars(
            select(Agreement).where(Agreement.session_id == session.id).order_by(Agreement.id)
        )
    )


def follow_up_agreements(session: BoardSession) -> list[Agreement]:
    """Earlier agreements of the board that were open at this session, or reported done
    in it."""
    origin = aliased(BoardSession)
    reported = aliased(BoardSession)
    query = (
        select(Agreement)
        .join(origin, Agreement.session_id == origin.id)
        .outerjoin(reported, Agreement.done_session_id == reported.id)
        .where(
            Agreement.board_id == session.board_id,
            origin.starts_at < session.starts_at,
            or_(Agreement.done_at.is_(None), reported.starts_at >= session.starts_at),
        )
        .order_by(Agreement.due_date, Agreement.id)
    )
    return list(db.session.scalars(query))


def session_day(session: BoardSession) -> date:
    """The day a session met (or meets) on its board's clock."""
    start = session.started_at or session.starts_at
    return start.astimezone(ZoneInfo(session.board.timezone)).date()


def previous_session(session: BoardSession) -> BoardSession | None:
    """The board's last session before this one that was not cancelled."""
    return db.session.scalar(
        select(BoardSession)
        .where(
            BoardSession.board_id == session.board_id,
            BoardSession.status != SessionStatus.CANCELLED,
            BoardSession.starts_at < session.starts_at,
        )
        .order_by(BoardSession.starts_at.desc(), BoardSession.id.desc())
        .limit(1)
    )


@dataclass
class FollowUp:
    """The follow-up of a session, grouped so that its own business comes first.

    ``reported``: marked done at this session. ``due``: open, due since the previous session
    up to this session's day (what this session follows up). ``older``: open and already due
    at the previous session (the backlog, counted and listed apart). ``later``: open, not due
    until after this session.
    """

    reported: list[Agreement]
    due: list[Agreement]
    older: list[Agreement]
    later: list[Agreement]

    @property
    def followed_up(self) -> list[Agreement]:
        """What the session followed up: reported at it, or due by it (earliest due first)."""
        return sorted(self.reported + self.due, key=lambda a: (a.due_date, a.id))

    @property
    def still_open(self) -> list[Agreement]:
        """Open and not this session's business: the backlog and those not yet due."""
        return sorted(self.older + self.later, key=lambda a: (a.due_date, a.id))


def follow_up(session: BoardSession) -> FollowUp:
    """``follow_up_agreements`` grouped (see ``FollowUp``); each group earliest due first."""
    day = session_day(session)
    before = previous_session(session)
    since = session_day(before) if before is not None else None
    groups = FollowUp([], [], [], [])
    for agreement in follow_up_agreements(session):
        if agreement.done_session_id == session.id:
            groups.reported.append(agreement)
        elif agreement.due_date > day:
            groups.later.append(agreement)
        elif since is not None and agreement.due_date <= since:
            groups.older.append(agreement)
        else:
            groups.due.append(agreement)
    return groups


def overdue_condition() -> ColumnElement[bool]:
    """Not done and past the due date on its board's clock (boards grouped by their today)."""
    now = now_utc()
    boards_by_day: dict[date, list[int]] = {}
    for board_id, zone in db.session.execute(select(Board.id, Board.timezone)):
        boards_by_day.setdefault(now.astimezone(ZoneInfo(zone)).date(), []).append(board_id)
    late = [
        and_(Agreement.board_id.in_(ids), Agreement.due_date < day)
        for day, ids in boards_by_day.items()
    ]
    return and_(Agreement.done_at.is_(None), or_(false(), *late))


def overdue_agreements(user: User) -> list[Agreement]:
    """For the dashboard: a coordinator's boards' overdue agreements; all for administrators."""
    if not user.is_staff:
        return []
    query = (
        select(Agreement)
        .join(Board, Agreement.board_id == Board.id)
        .where(overdue_condition())
        .order_by(Agreement.due_date, Agreement.id)
        # The dashboard names each one's board, session and case: loaded with the list, not
        # one query per row (1,150 statements for 575 overdue agreements).
        .options(
            contains_eager(Agreement.board),
            selectinload(Agreement.session),
            selectinload(Agreement.case).load_only(Case.id),
        )
    )
    if user.role is not Role.ADMIN:
        query = query.where(Board.coordinator_id == user.id)
    return list(db.session.scalars(query))


def parse_list_query(args: Any) -> dict[str, Any]:
    return load_or_raise(AgreementListQuerySchema(), dict(args))


def list_agreements(user: User, filters: dict[str, Any]) -> Pagination:
    """One page of visible agreements, filtered; earliest due first."""
    query = visible_agreements(user)
    if filters.get("board_id") is not None:
        query = query.where(Agreement.board_id == filters["board_id"])
    if filters.get("session_id") is not None:
        query = query.where(Agreement.session_id == filters["session_id"])
    if filters.get("open") is not None:
        done = Agreement.done_at.is_not(None)
        query = query.where(not_(done) if filters["open"] else done)
    if filters.get("overdue") is not None:
        overdue = overdue_condition()
        query = query.where(overdue if filters["overdue"] else not_(overdue))
    return db.paginate(
        query.order_by(Agreement.due_date, Agreement.id),
        page=filters.get("page", 1),
        per_page=filters.get("per_page") or current_app.config["PAGE_SIZE"],
        error_out=False, count=True,
    )  # fmt: skip
