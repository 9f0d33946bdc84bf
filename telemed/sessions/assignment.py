"""Placing accepted cases on agendas automatically: the assignment job (by hand: ``agenda``).

Two guards make this safe with several workers and a standby scheduler:
- a partial unique index allows one pending agenda entry per case, and
- places are taken with ``UPDATE ... SET booked = booked + k WHERE booked + k <= capacity``,
  which the database applies atomically, so no session ever goes over capacity.
A run that loses a race rolls back its batch and tries again with fresh data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    String,
    and_,
    cast,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy import case as sql_case
from sqlalchemy.exc import IntegrityError

from telemed.boards.models import Board, BoardSpecialty, SessionKind
from telemed.cases.models import Case, CaseEvent, CaseStatus, Urgency, format_case_code
from telemed.cases.signals import cases_changed_in_bulk
from telemed.core import transaction
from telemed.core.clock import now_utc
from telemed.core.sql import rowcount
from telemed.core.types import UTCDateTime
from telemed.extensions import db
from telemed.jobs import checkpoint
from telemed.sessions import notices
from telemed.sessions.models import (
    AgendaItem,
    BoardSession,
    FlagReason,
    ItemOutcome,
    SchedulingFlag,
    SessionStatus,
)

URGENT_WITHIN = timedelta(hours=72)


RETRIES = 5


URGENCY_RANK = {Urgency.URGENT: 0, Urgency.PRIORITY: 1, Urgency.ROUTINE: 2}


class LostRace(Exception):
    """Another writer changed the same sessions or cases; the batch is retried."""


@dataclass
class AssignmentReport:
    placed: int = 0
    flagged: int = 0
    unplaced: int = 0
    boards: dict[str, int] = field(default_factory=dict)


Place = Row[int, int, datetime, int]  # an open session: id, room, starts_at, number


@dataclass(frozen=True)
class Candidate:
    id: int
    urgency: Urgency
    deadline: date | None
    submitted_at: datetime | None
    carry_over: int


def assign_cases() -> AssignmentReport:
    """Place every accepted, unplaced case of every board; idempotent and race-safe."""
    report = AssignmentReport()
    boards = db.session.scalars(
        select(Board).where(Board.active.is_(True), Board.kind == SessionKind.CASE_REVIEW)
    ).all()
    for board in boards:
        if checkpoint.should_stop():  # the boards done so far are kept; the rest wait
            break
        placed = assign_board(board, report)
        report.boards[board.name] = placed
    return report


def queue_query(board: Board) -> Select[int, Urgency, date | None, datetime | None, int]:
    """Accepted cases of the board's specialties with no pending entry, in priority order."""
    urgency_rank = sql_case(
        *((Case.urgency == urgency, rank) for urgency, rank in URGENCY_RANK.items()), else_=3
    )
    return (
        select(Case.id, Case.urgency, Case.clinical_deadline, Case.submitted_at, Case.carry_over)
        .join(BoardSpecialty, BoardSpecialty.specialty == Case.specialty)
        .where(
            BoardSpecialty.board_id == board.id,
            Case.status == CaseStatus.ACCEPTED,
            Case.scheduling_hold.is_(False),
        )
        .order_by(
            (Case.carry_over > 0).desc(),
            urgency_rank,
            Case.clinical_deadline.is_(None),
            Case.clinical_deadline,
            Case.submitted_at,
            Case.id,
        )
    )


def taking_cases(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """A session the job may still fill: planned, before its cut-off, and not under way —
    not started and nothing on its agenda decided yet. A case discussed frees its place
    (``booked`` counts pending entries), but a meeting that has begun, or ended early, is no
    place for a case its doctor has not been told about."""
    decided = select(AgendaItem.id).where(
        AgendaItem.session_id == BoardSession.id, AgendaItem.decided_at.is_not(None)
    )
    return (
        BoardSession.status == SessionStatus.PLANNED,
        BoardSession.cutoff_at > now,
        BoardSession.started_at.is_(None),
        ~decided.exists(),
    )


def open_sessions(board: Board, now: datetime) -> list[BoardSession]:
    query = select(BoardSession).where(*open_criteria(board, now))
    return list(db.session.scalars(query.order_by(BoardSession.starts_at, BoardSession.id)))


def open_places(board: Board, now: datetime) -> list[Place]:
    """``open_sessions`` as the batch needs them: id, free places, start and number in plain
    rows (eleven thousand session objects were a sixteenth of a 100,000-case run)."""
    query = select(
        BoardSession.id,
        (BoardSession.capacity - BoardSession.booked).label("room"),
        BoardSession.starts_at,
        BoardSession.number,
    ).where(*open_criteria(board, now))
    return list(db.session.execute(query.order_by(BoardSession.starts_at, BoardSession.id)))


def open_criteria(board: Board, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The board's case-review sessions the job may still fill, with room left."""
    return (
        BoardSession.board_id == board.id,
        BoardSession.kind == SessionKind.CASE_REVIEW,
        *taking_cases(now),
        BoardSession.booked < BoardSession.capacity,
    )


def assign_board(board: Board, report: AssignmentReport) -> int:
    """One board's batch, kept (committed) before the next board's: a run killed half-way
    keeps whole boards, and a batch that lost a race is undone and tried again."""
    for _attempt in range(RETRIES):
        try:
            placed, flagged, unplaced = place_batch(board)
        except (LostRace, IntegrityError):
            transaction.rollback()
            continue
        transaction.commit_chunk()
        report.placed += placed
        report.flagged += flagged
        report.unplaced += unplaced
        return placed
    return 0


def place_batch(board: Board) -> tuple[int, int, int]:
    """Greedy fill in priority order: each case takes the earliest session with room."""
    now = now_utc()
    candidates = [Candidate(*row) for row in db.session.execute(queue_query(board))]
    if not candidates:
        return 0, 0, 0
    places = open_places(board, now)
    plan: dict[int, list[Candidate]] = defaultdict(list)
    unplaced: list[Candidate] = []
    rooms = [(place.id, place.room) for place in places]
    cursor = 0
    for candidate in candidates:
        while cursor < len(rooms) and len(plan[rooms[cursor][0]]) >= rooms[cursor][1]:
            cursor += 1
        if cursor == len(rooms):
            unplaced.append(candidate)
            continue
        plan[rooms[cursor][0]].append(candidate)

    by_id = {place.id: place for place in places}
    items, placed_ids = [], []
    next_position = dict(
        db.session.execute(
            select(AgendaItem.session_id, func.max(AgendaItem.position))
            .where(AgendaItem.session_id.in_(list(plan)))
            .group_by(AgendaItem.session_id)
        ).all()
    )
    take_places_many({sid: len(chosen) for sid, chosen in plan.items() if chosen}, now)
    for session_id, chosen in plan.items():
        if not chosen:
            continue
        start = (next_position.get(session_id) or 0) + 1
        for offset, candidate in enumerate(chosen):
            items.append({
                "session_id": session_id, "case_id": candidate.id, "position": start + offset,
                "pinned": False, "carried_over": candidate.carry_over > 0,
                "outcome": ItemOutcome.PENDING, "placed_at": now,
            })  # fmt: skip
            placed_ids.append(candidate.id)
    if items:  # Core executemany: the ORM's per-row bookkeeping is not needed here
        db.session.execute(insert(AgendaItem.__table__), items)
    mark_scheduled(placed_ids, now)
    settle_no_session_flags(board, placed_ids, now)
    flagged = flag_at_risk(board, plan, by_id, unplaced, now)
    db.session.flush()
    return len(placed_ids), flagged, len(unplaced)


def settle_no_session_flags(
    board: Board, placed_ids: list[int], now: datetime, chunk: int = 5000
) -> None:
    """A case flagged for want of a session has one now: that flag is no longer true."""
    waiting = (
        SchedulingFlag.board_id == board.id,
        SchedulingFlag.reason == FlagReason.NO_SESSION,
        SchedulingFlag.resolved_at.is_(None),
    )
    open_one = select(SchedulingFlag.id).where(*waiting).limit(1)
    if not placed_ids or db.session.scalar(open_one) is None:
        return  # the common case: one cheap query
    for start in range(0, len(placed_ids), chunk):
        db.session.execute(
            update(SchedulingFlag)
            .where(*waiting, SchedulingFlag.case_id.in_(placed_ids[start : start + chunk]))
            .values(resolved_at=now)
            .execution_options(synchronize_session=False)
        )


def take_places(session_id: int, count: int, now: datetime) -> None:
    taken = db.session.execute(
        update(BoardSession)
        .where(
            BoardSession.id == session_id,
            *taking_cases(now),
            BoardSession.booked + count <= BoardSession.capacity,
        )
        .values(
            booked=BoardSession.booked + count,
            roster_version=BoardSession.roster_version + 1,
            agenda_version=BoardSession.agenda_version + 1,
        )
    )
    if rowcount(taken) != 1:
        raise LostRace(session_id)


def take_places_many(counts: dict[int, int], now: datetime, chunk: int = 5000) -> None:
    """``take_places`` for many sessions: one guarded UPDATE per distinct count (and chunk).

    Each row gets the same atomic ``booked + k <= capacity`` guard; a row that refuses makes
    the whole batch lose the race. The ORM is not asked to synchronise the sessions it holds
    (that walk over the identity map made the batch quadratic); the commit expires them.
    """
    by_count: dict[int, list[int]] = defaultdict(list)
    for session_id, count in counts.items():
        by_count[count].append(session_id)
    for count, session_ids in by_count.items():
        for start in range(0, len(session_ids), chunk):
            ids = session_ids[start : start + chunk]
            taken = db.session.execute(
                update(BoardSession)
                .where(
                    BoardSession.id.in_(ids),
                    *taking_cases(now),
                    BoardSession.booked + count <= BoardSession.capacity,
                )
                .values(
                    booked=BoardSession.booked + count,
                    roster_version=BoardSession.roster_version + 1,
                    # the entries go in by Core INSERT, which the ORM's counting never sees
                    agenda_version=BoardSession.agenda_version + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if rowcount(taken) != len(ids):
                raise LostRace(ids)


def mark_scheduled(case_ids: list[int], now: datetime, chunk: int = 5000) -> None:
    """Accepted → scheduled, with a timeline event; a case changed meanwhile loses the race.

    The events are written by ``INSERT ... SELECT`` from the cases just changed and their new
    agenda entries (inserted first), so no row passes through Python; each names its agenda
    code (``CE <session>.<case>``), from which the timeline tells which session it is.
    """
    for start in range(0, len(case_ids), chunk):
        ids = case_ids[start : start + chunk]
        changed = db.session.execute(
            update(Case)
            .where(Case.id.in_(ids), Case.status == CaseStatus.ACCEPTED)
            .values(status=CaseStatus.SCHEDULED, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(changed) != len(ids):
            raise LostRace("cases")
        cases_changed_in_bulk.send(None, case_ids=ids)  # no flush listener sees a bulk UPDATE
        events = CaseEvent.__table__
        db.session.execute(
            insert(events).from_select(
                ["case_id", "at", "kind", "from_status", "to_status", "message"],
                select(
                    Case.id,
                    literal(now, UTCDateTime()),
                    literal("scheduled"),
                    literal("accepted"),
                    literal("scheduled"),
                    literal("CE ")
                    + cast(BoardSession.number, String)
                    + literal(".")
                    + cast(Case.id, String),
                )
                .join(
                    AgendaItem,
                    and_(AgendaItem.case_id == Case.id, AgendaItem.outcome == ItemOutcome.PENDING),
                )
                .join(BoardSession, BoardSession.id == AgendaItem.session_id)
                .where(Case.id.in_(ids))
                .order_by(Case.id),
            )
        )


def flag_at_risk(
    board: Board,
    plan: dict[int, list[Candidate]],
    sessions: dict[int, Place],
    unplaced: list[Candidate],
    now: datetime,
) -> int:
    """Flag cases the board cannot discuss before their deadline (or within 72 h if urgent)."""
    zone = ZoneInfo(board.timezone)
    risky: list[tuple[int, FlagReason, str]] = []
    for session_id, chosen in plan.items():
        session = sessions[session_id]
        local_day = session.starts_at.astimezone(zone).date()
        detail = None  # translated once per session, and only if a case there is at risk
        for candidate in chosen:
            reasons = risk_reasons(candidate, session.starts_at, local_day)
            if reasons:
                if detail is None:
                    detail = session_detail(session.number)
                risky.extend((candidate.id, reason, detail) for reason in reasons)
    for candidate in unplaced:
        risky.append((candidate.id, FlagReason.NO_SESSION, ""))
        risky.extend(
            r for r in risks(candidate, None, None, None) if r[1] is not FlagReason.NO_SESSION
        )
    return raise_flags(board, risky, now)


def risks(
    candidate: Candidate, starts_at: datetime | None, local_day: date | None, number: int | None
) -> list[tuple[int, FlagReason, str]]:
    reasons = risk_reasons(candidate, starts_at, local_day)
    if not reasons:  # the common case: no message to translate
        return []
    detail = session_detail(number)
    return [(candidate.id, reason, detail) for reason in reasons]


def risk_reasons(
    candidate: Candidate, starts_at: datetime | None, local_day: date | None
) -> list[FlagReason]:
    """Why a case placed at ``starts_at`` (or nowhere, if None) is at risk; usually nothing."""
    reasons = []
    if candidate.deadline is not None and (local_day is None or local_day > candidate.deadline):
        reasons.append(FlagReason.DEADLINE)
    if (
        candidate.urgency is Urgency.URGENT
        and candidate.submitted_at is not None
        and (starts_at is None or starts_at > candidate.submitted_at + URGENT_WITHIN)
    ):
        reasons.append(FlagReason.URGENT_72H)
    return reasons


def session_detail(number: int | None) -> str:
    return _("Earliest session: %(number)s", number=number) if number else ""


def raise_flags(board: Board, risky: list[tuple[int, FlagReason, str]], now: datetime) -> int:
    """Add the flags not already open (one executemany) and tell the coordinator."""
    if not risky:
        return 0
    already = open_flag_keys(list({case_id for case_id, _reason, _detail in risky}))
    rows: list[dict[str, Any]] = []
    for case_id, reason, detail in risky:
        if (case_id, reason) in already:
            continue
        already.add((case_id, reason))
        rows.append({"board_id": board.id, "case_id": case_id, "reason": reason,
                     "detail": detail, "created_at": now, "resolved_at": None})  # fmt: skip
    if not rows:
        return 0
    db.session.execute(insert(SchedulingFlag.__table__), rows)
    if board.coordinator is not None:  # one digest per run, not one email per case
        notices.cases_at_risk(
            board,
            [(format_case_code(r["case_id"]), r["reason"], r["detail"]) for r in rows],
            board.coordinator,
            now,
        )
    return len(rows)


def open_flag_keys(case_ids: list[int], chunk: int = 5000) -> set[tuple[int, FlagReason]]:
    keys: set[tuple[int, FlagReason]] = set()
    for start in range(0, len(case_ids), chunk):
        rows = db.session.execute(
            select(SchedulingFlag.case_id, SchedulingFlag.reason).where(
                SchedulingFlag.case_id.in_(case_ids[start : start + chunk]),
                SchedulingFlag.resolved_at.is_(None),
            )
        )
        keys.update((case_id, reason) for case_id, reason in rows)
    return keys


def open_flags(board_ids: list[int] | None = None) -> list[SchedulingFlag]:
    query = select(SchedulingFlag).where(SchedulingFlag.resolved_at.is_(None))
    if board_ids is not None:
        query = query.where(SchedulingFlag.board_id.in_(board_ids))
    return list(db.session.scalars(query.order_by(SchedulingFlag.created_at)))


def resolve_flags(case_id: int) -> None:
    db.session.execute(
        update(SchedulingFlag)
        .where(SchedulingFlag.case_id == case_id, SchedulingFlag.resolved_at.is_(None))
        .values(resolved_at=now_utc())
    )
