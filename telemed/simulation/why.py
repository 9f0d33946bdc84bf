"""The longest wait of a run and what held it: which rule (the agenda cut-off, a rest day
or day off, missing material) or which capacity limit (no room on any agenda, no time in
the meeting), read from the case's agenda entries, flags and its board's meetings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from telemed.boards.models import Board
from telemed.boards.recurrence import occurrences
from telemed.cases.models import Case, Urgency
from telemed.core.clock import now_utc
from telemed.extensions import db
from telemed.preparation.material import board_for_case
from telemed.sessions.assignment import URGENT_WITHIN
from telemed.sessions.models import (
    AgendaItem,
    BoardSession,
    DeferralReason,
    FlagReason,
    ItemOutcome,
    SchedulingFlag,
    SessionStatus,
)

WEEK = timedelta(days=7)
URGENT_FLAGS = (FlagReason.URGENT_72H, FlagReason.NO_SESSION)


@dataclass(frozen=True)
class LongestWait:
    code: str
    urgency: str
    board: str
    days: float
    discussed: bool
    reasons: list[str]


def longest_wait(start: datetime, end: datetime) -> LongestWait | None:
    """The case submitted in the period that waited longest for its first discussion (a
    case still waiting counts up to now)."""
    cases = db.session.scalars(
        select(Case).where(Case.submitted_at >= start, Case.submitted_at < end)
    ).all()
    if not cases:
        return None
    now = now_utc()

    def waited(case: Case) -> timedelta:
        assert case.submitted_at is not None
        return (case.first_discussed_at or now) - case.submitted_at

    case = max(cases, key=lambda c: (waited(c), -c.id))
    board = board_for_case(case)
    wait = waited(case)
    return LongestWait(
        code=case.code, urgency=case.urgency.value, board=board.name if board else "",
        days=round(wait.total_seconds() / 86400, 1), discussed=case.first_discussed_at is not None,
        reasons=reasons(case, board),
    )  # fmt: skip


def reasons(case: Case, board: Board | None) -> list[str]:
    """What held the case, in the order it happened."""
    held: list[str] = []
    assert case.submitted_at is not None
    if case.accepted_at is not None:
        hours = (case.accepted_at - case.submitted_at).total_seconds() / 3600
        held.append(f"acceptance took {hours:.0f} h")
    items = agenda_history(case)
    flags = {flag.reason for flag in db.session.scalars(
        select(SchedulingFlag).where(SchedulingFlag.case_id == case.id))}  # fmt: skip
    if FlagReason.NO_SESSION in flags:
        held.append("capacity: no room on any open agenda of the board")
    if items and case.accepted_at is not None and board is not None:
        held.extend(first_placement(board, case.accepted_at, items[0][1], flags))
    for item, session in items:
        held.append(f"session {session.number} ({local_day(board, session.starts_at)}): "
                    f"{outcome_text(item)}")  # fmt: skip
    if board is not None and case.accepted_at is not None:
        skipped = skipped_meetings(board, case.accepted_at, case.first_discussed_at or now_utc())
        if skipped:
            days = ", ".join(f"{day:%Y-%m-%d}" for day in skipped)
            held.append(f"rule: no meeting on rest days / days off ({days})")
    return held


def agenda_history(case: Case) -> list[tuple[AgendaItem, BoardSession]]:
    """Every agenda entry of the case with its session, in the order placed."""
    rows = db.session.execute(
        select(AgendaItem, BoardSession)
        .join(BoardSession, BoardSession.id == AgendaItem.session_id)
        .where(AgendaItem.case_id == case.id)
        .order_by(AgendaItem.placed_at, AgendaItem.id)
    ).all()
    return [(item, session) for item, session in rows]


def local_day(board: Board | None, moment: datetime) -> str:
    zone = ZoneInfo(board.timezone if board else "America/Mexico_City")
    return f"{moment.astimezone(zone):%Y-%m-%d}"


def first_placement(
    board: Board, accepted: datetime, first: BoardSession, flags: set[FlagReason]
) -> list[str]:
    """Why the first agenda was not an earlier meeting: full (capacity) or closed (cut-off)."""
    if first.starts_at - accepted <= WEEK or FlagReason.NO_SESSION in flags:
        return []
    earlier = db.session.scalar(
        select(BoardSession.number).where(
            BoardSession.board_id == board.id, BoardSession.status != SessionStatus.CANCELLED,
            BoardSession.cutoff_at > accepted, BoardSession.starts_at < first.starts_at,
        ).order_by(BoardSession.starts_at).limit(1)
    )  # fmt: skip
    if earlier is not None:
        return [f"capacity: session {earlier}'s agenda was full; first placed on session "
                f"{first.number}"]  # fmt: skip
    return [f"rule: the agenda cut-off ({board.cutoff_days_before} days before the meeting) "
            f"had passed; first placed on session {first.number}"]  # fmt: skip


def outcome_text(item: AgendaItem) -> str:
    if item.outcome is ItemOutcome.DEFERRED:
        why = {DeferralReason.MISSING_MATERIAL: "deferred for missing material (rule)",
               DeferralReason.NO_TIME: "deferred for lack of time (capacity)"}  # fmt: skip
        return why.get(item.deferral_reason or DeferralReason.OTHER, "deferred (other)")
    return item.outcome.value.replace("_", " ")


def skipped_meetings(board: Board, first: datetime, last: datetime) -> list[datetime]:
    """The board's regular meetings due between ``first`` and ``last`` that were not held
    on their day (a rest day or day off skipped them)."""
    keys = set(db.session.scalars(
        select(BoardSession.occurrence_key).where(BoardSession.board_id == board.id,
                                                  BoardSession.occurrence_key.is_not(None))
    ))  # fmt: skip
    return [local for local in occurrences(board, first, last)
            if local.isoformat(timespec="minutes") not in keys]  # fmt: skip


@dataclass(frozen=True)
class LateUrgent:
    """An urgent case not discussed within 72 h of submission, and why."""

    code: str
    hours: float  # submission to first discussion (or to the end of the run)
    reasons: list[str]

    @property
    def main(self) -> str:
        """The first reason: what the count by reason counts."""
        return self.reasons[0]


def late_urgent(start: datetime, end: datetime) -> list[LateUrgent]:
    """Urgent cases submitted in the period that waited more than 72 h (discussed late, or
    not discussed once 72 h had passed), each with what held it, most telling first."""
    now = now_utc()
    rows = db.session.scalars(
        select(Case).where(Case.urgency == Urgency.URGENT, Case.submitted_at >= start,
                           Case.submitted_at < end).order_by(Case.submitted_at)
    ).all()  # fmt: skip
    late = []
    for case in rows:
        assert case.submitted_at is not None
        waited = (case.first_discussed_at or now) - case.submitted_at
        if waited > URGENT_WITHIN:
            late.append(LateUrgent(case.code, round(waited.total_seconds() / 3600, 1),
                                   late_reasons(case)))  # fmt: skip
    return late


def late_reasons(case: Case) -> list[str]:
    """Deferrals at a meeting first (they cost a meeting), then a slow acceptance, then the
    extraordinary session: none opened, or none possible before the deadline. A case placed
    beyond its 72 h without a flag would be the scheduling code's fault: said as such."""
    assert case.submitted_at is not None
    deadline = case.submitted_at + URGENT_WITHIN
    items = agenda_history(case)
    flagged = db.session.scalar(
        select(SchedulingFlag.id).where(SchedulingFlag.case_id == case.id,
                                        SchedulingFlag.reason.in_(URGENT_FLAGS)).limit(1)
    ) is not None  # fmt: skip
    held: list[str] = []
    for item, session in items:
        if item.outcome is ItemOutcome.DEFERRED:
            kind = "an extraordinary" if session.extraordinary else "a regular"
            held.append(f"{outcome_text(item)} at {kind} meeting")
    if case.accepted_at is None:
        held.append("not accepted")
    elif case.accepted_at - case.submitted_at > timedelta(hours=24):
        held.append("accepted more than 24 h after submission (a weekend or rest day)")
    extra = [s for _, s in items if s.extraordinary]
    if not flagged and any(s.starts_at > deadline for _, s in items):
        held.append("placed beyond 72 h with no flag raised (scheduling code)")
    elif flagged and not extra:
        held.append("flagged, but no extraordinary session was opened")
    elif extra and min(s.starts_at for s in extra) > deadline:
        held.append("the first extraordinary session possible was after 72 h (late in the "
                    "day, a weekend, a rest day or a day off)")  # fmt: skip
    if case.first_discussed_at is None:
        held.append("still waiting at the end of the run")
    return held or ["other"]
