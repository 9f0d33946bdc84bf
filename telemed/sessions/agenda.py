"""Agendas by hand: coordinators place, move, reorder and remove cases; the one-click
extraordinary session for a flagged case; where a case stands on the agendas."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from telemed.audit import service as audit
from telemed.auth.models import User
from telemed.boards.models import Board, BoardSpecialty, SessionKind
from telemed.cases.models import Case, CaseStatus
from telemed.cases.service import add_event
from telemed.core.clock import now_utc
from telemed.core.errors import Forbidden, InputError, InvalidTransition, NotFound
from telemed.extensions import db
from telemed.sessions.assignment import LostRace, open_sessions, resolve_flags, take_places
from telemed.sessions.labels import OUTCOME_LABELS
from telemed.sessions.models import (
    AgendaItem,
    BoardSession,
    ItemOutcome,
    SchedulingFlag,
    SessionStatus,
)
from telemed.sessions.service import create_extraordinary, release_item, require_staff


def placeable_cases(board: Board, limit: int = 200) -> list[Case]:
    """Accepted cases of the board without a place (held ones first) for a hand placement."""
    if board.kind is not SessionKind.CASE_REVIEW:
        return []
    return list(
        db.session.scalars(
            select(Case)
            .join(BoardSpecialty, BoardSpecialty.specialty == Case.specialty)
            .where(BoardSpecialty.board_id == board.id, Case.status == CaseStatus.ACCEPTED)
            .order_by(Case.scheduling_hold.desc(), Case.submitted_at, Case.id)
            .limit(limit)
        )
    )


def held_cases() -> list[Case]:
    return list(
        db.session.scalars(
            select(Case)
            .where(Case.scheduling_hold.is_(True), Case.status == CaseStatus.ACCEPTED)
            .order_by(Case.id)
        )
    )


def unplaced_counts() -> list[tuple[Board, int]]:
    """Accepted cases still waiting for a session (not held), per case-review board."""
    rows = db.session.execute(
        select(Board, func.count(Case.id))
        .select_from(Board)
        .outerjoin(BoardSpecialty, BoardSpecialty.board_id == Board.id)
        .outerjoin(
            Case,
            and_(
                Case.specialty == BoardSpecialty.specialty,
                Case.status == CaseStatus.ACCEPTED,
                Case.scheduling_hold.is_(False),
            ),
        )
        .where(Board.kind == SessionKind.CASE_REVIEW)
        .group_by(Board.id)
        .order_by(Board.name)
    ).all()
    return [(board, count) for board, count in rows]


@dataclass
class CaseScheduling:
    """Where a case stands on the boards' agendas, for its page."""

    pending: AgendaItem | None
    history: list[AgendaItem] = field(default_factory=list)

    @staticmethod
    def outcome_label(item: AgendaItem) -> Any:
        return OUTCOME_LABELS.get(item.outcome, item.outcome.value)


def case_scheduling(case_id: int, limit: int = 10) -> CaseScheduling:
    history = db.session.scalars(
        select(AgendaItem)
        .where(AgendaItem.case_id == case_id, AgendaItem.outcome != ItemOutcome.PENDING)
        .order_by(AgendaItem.id.desc())
        .limit(limit)
    )
    return CaseScheduling(pending=pending_item(case_id), history=list(history))


def editable_session(session: BoardSession) -> None:
    if session.status is not SessionStatus.PLANNED or session.cutoff_at <= now_utc():
        raise InvalidTransition(_("The agenda of this session is closed."))
    if session.kind is not SessionKind.CASE_REVIEW:
        raise InvalidTransition(_("Training and keynote sessions have no cases."))


def place_by_hand(actor: User, case: Case, session: BoardSession) -> AgendaItem:
    """Put (or move) a case on a session's agenda; the placement is pinned."""
    require_staff(actor)
    editable_session(session)
    if case.specialty not in session.board.specialty_values:
        raise InputError({"session_id": [_("This session's board does not cover the case.")]})
    current = pending_item(case.id)
    if current is not None:
        if current.session_id == session.id:
            raise InvalidTransition(_("The case is already on this agenda."))
        editable_session(current.session)
        release_item(current, ItemOutcome.MOVED, carry=False)
    elif case.status is not CaseStatus.ACCEPTED:
        raise InvalidTransition(_("Only accepted cases can be placed on an agenda."))
    try:
        take_places(session.id, 1, now_utc())
    except LostRace:
        raise InvalidTransition(_("This session is full.")) from None
    position = (
        db.session.scalar(
            select(func.max(AgendaItem.position)).where(AgendaItem.session_id == session.id)
        )
        or 0
    ) + 1
    item = AgendaItem(
        session_id=session.id, case_id=case.id, position=position, pinned=True,
        carried_over=case.carry_over > 0, outcome=ItemOutcome.PENDING, placed_at=now_utc(),
        placed_by_id=actor.id,
    )  # fmt: skip
    db.session.add(item)
    case.status = CaseStatus.SCHEDULED
    case.scheduling_hold = False
    add_event(case, actor, "scheduled", CaseStatus.ACCEPTED, CaseStatus.SCHEDULED,
              f"CE {session.number}.{case.id}")  # fmt: skip
    resolve_flags(case.id)
    audit.record(actor, "agenda.place", "case", case.id, code=case.code, session=session.number)
    try:
        db.session.flush()
    except IntegrityError:  # one pending entry per case: another placement won
        raise InvalidTransition(_("The case was placed by someone else meanwhile.")) from None
    return item


def place_case(actor: User, session: BoardSession, case_id: int | None) -> AgendaItem:
    """``place_by_hand`` for a case chosen by its number (a form, the API)."""
    if case_id is None:
        raise InputError({"case_id": [_("Choose a case.")]})
    case = db.session.get(Case, case_id)
    if case is None:
        raise InputError({"case_id": [_("There is no case with this number.")]})
    try:
        return place_by_hand(actor, case, session)
    except InputError as err:  # the board does not cover it: the case is what is wrong
        errors = err.errors
        raise InputError(
            {"case_id" if k == "session_id" else k: v for k, v in errors.items()}
        ) from None


def transfer(actor: User, item: AgendaItem, session_id: int | None) -> AgendaItem:
    """Move a case to another session of the same board (by hand, pinned)."""
    target = db.session.get(BoardSession, session_id) if session_id is not None else None
    if target is None or target.board_id != item.session.board_id:
        raise InputError({"session_id": [_("Choose another session of this board.")]})
    return place_by_hand(actor, item.case, target)


def other_open_sessions(session: BoardSession) -> list[BoardSession]:
    """Where a case of ``session`` may be moved: the board's other sessions with room."""
    return [s for s in open_sessions(session.board, now_utc()) if s.id != session.id]


def remove_by_hand(actor: User, item: AgendaItem) -> None:
    """Take a case off the agenda and hold it until a coordinator places or releases it."""
    require_staff(actor)
    editable_session(item.session)
    if item.outcome is not ItemOutcome.PENDING:
        raise InvalidTransition(_("This agenda entry is already settled."))
    release_item(item, ItemOutcome.REMOVED, carry=False)
    item.case.scheduling_hold = True
    audit.record(actor, "agenda.remove", "case", item.case_id, code=item.case.code)
    db.session.flush()


def get_open_flag(flag_id: int) -> SchedulingFlag:
    """A flag still waiting for a coordinator (a settled one is gone: 404)."""
    flag = db.session.scalar(
        select(SchedulingFlag).where(
            SchedulingFlag.id == flag_id, SchedulingFlag.resolved_at.is_(None)
        )
    )
    if flag is None:
        raise NotFound("flag not found")
    return flag


def release_held(actor: User, case_id: int) -> Case:
    """``release_hold`` for a case chosen by its number."""
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound("case not found")
    release_hold(actor, case)
    return case


def release_hold(actor: User, case: Case) -> None:
    require_staff(actor)
    case.scheduling_hold = False
    audit.record(actor, "agenda.release", "case", case.id, code=case.code)
    db.session.flush()


def reorder(actor: User, session: BoardSession, item_ids: list[int]) -> None:
    """Set the order of business; every pending entry must be listed once."""
    require_staff(actor)
    editable_session(session)
    pending = {item.id: item for item in session.pending_items}
    if sorted(item_ids) != sorted(pending):
        raise InputError({"order": [_("List every case on the agenda exactly once.")]})
    for position, item_id in enumerate(item_ids, start=1):
        pending[item_id].position = position
        pending[item_id].pinned = True
    audit.record(actor, "agenda.reorder", "session", session.id, number=session.number)
    db.session.flush()
    db.session.expire(session, ["items"])  # loaded in the old order


def move_item(actor: User, item: AgendaItem, offset: int) -> None:
    """Move an entry up (-1) or down (+1) in the order of business."""
    order = [i.id for i in item.session.pending_items]
    index = order.index(item.id)
    target = min(max(index + offset, 0), len(order) - 1)
    order.insert(target, order.pop(index))
    reorder(actor, item.session, order)


def pending_item(case_id: int) -> AgendaItem | None:
    return db.session.scalar(
        select(AgendaItem).where(
            AgendaItem.case_id == case_id, AgendaItem.outcome == ItemOutcome.PENDING
        )
    )


def get_item(item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None:
        raise NotFound("agenda entry not found")
    return item


def extraordinary_for_flag(actor: User, flag: SchedulingFlag) -> AgendaItem:
    """One click: an extraordinary session tomorrow at the board's usual hour, with the case."""
    require_staff(actor)
    if flag.case.status not in (CaseStatus.ACCEPTED, CaseStatus.SCHEDULED):
        raise Forbidden(_("This case is no longer waiting for a session."))
    board = flag.board
    zone = ZoneInfo(board.timezone)
    # The rule's first occurrence, not dtstart: BYHOUR/BYMINUTE may override its time.
    usual = rrulestr(board.rrule, dtstart=board.dtstart)[0].time()
    day = now_utc().astimezone(zone).date() + timedelta(days=1)
    if flag.case.clinical_deadline is not None and flag.case.clinical_deadline < day:
        day = now_utc().astimezone(zone).date()
    local_start = datetime.combine(day, usual)
    if local_start.replace(tzinfo=zone) <= now_utc():
        local_start = (now_utc().astimezone(zone) + timedelta(hours=2)).replace(
            tzinfo=None, minute=0, second=0, microsecond=0
        )
    session = create_extraordinary(actor, board, local_start, topic=None)
    return place_by_hand(actor, flag.case, session)


def on_case_transitioned(case: Case, actor: User | None = None, **_: object) -> None:
    """A withdrawn or closed case leaves the agenda and its flags are settled."""
    if case.status in (CaseStatus.WITHDRAWN, CaseStatus.CLOSED):
        item = pending_item(case.id)
        if item is not None:
            release_item(item, ItemOutcome.WITHDRAWN, carry=False)
        resolve_flags(case.id)
