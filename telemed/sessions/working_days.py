"""On which days a board meets: Mexico's official rest days, the board's own days off, and
the board's policy for a meeting that falls on one of them (skip it, or hold it on the
previous or next working day at the same time).

One place, so that generating sessions, marking a day off and (later) the simulator agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from telemed.boards.holidays import is_rest_day, rest_days_between
from telemed.boards.models import Board, DayOffPolicy
from telemed.boards.service import days_off_between
from telemed.core.clock import local_day_start
from telemed.extensions import db
from telemed.sessions.models import BoardSession, SessionStatus

# How far the previous or next working day is looked for; past it the meeting is skipped.
SEARCH_DAYS = 14
SATURDAY = 5


@dataclass(slots=True)
class BoardDays:
    """What decides a board's days over a stretch, read once: a generator run or a stretch
    marked off asks about many days. ``meeting_days`` grows as sessions are placed."""

    first: date
    last: date
    days_off: set[date] = field(default_factory=set)
    meeting_days: set[date] = field(default_factory=set)

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


def board_days(board: Board, first: date, last: date) -> BoardDays:
    """The board's days off and the days holding one of its sessions (not cancelled), from
    ``first`` to ``last`` on the board's calendar, with ``SEARCH_DAYS`` to spare each side."""
    first, last = first - timedelta(days=SEARCH_DAYS), last + timedelta(days=SEARCH_DAYS)
    zone = ZoneInfo(board.timezone)
    starts = db.session.scalars(
        select(BoardSession.starts_at).where(
            BoardSession.board_id == board.id,
            BoardSession.status != SessionStatus.CANCELLED,
            BoardSession.starts_at >= local_day_start(first, zone),
            BoardSession.starts_at < local_day_start(last + timedelta(days=1), zone),
        )
    )
    return BoardDays(
        first=first,
        last=last,
        days_off=days_off_between(board.id, first, last),
        meeting_days={start.astimezone(zone).date() for start in starts},
    )


def is_closed_day(board: Board, day: date, known: BoardDays | None = None) -> bool:
    """Whether the board does not meet on ``day``: an official rest day or one of its days
    off. A meeting due on such a day follows the board's ``day_off_policy``."""
    known = known if known is not None and known.covers(day) else board_days(board, day, day)
    return is_rest_day(day) or day in known.days_off


def closed_days(board: Board, first: date, last: date) -> set[date]:
    """Every day from ``first`` to ``last`` on which ``is_closed_day`` holds, read at once (the
    synthetic history asks about years of meetings)."""
    rest = {day for day, _name in rest_days_between(first, last)}
    return rest | days_off_between(board.id, first, last)


def is_working_day(board: Board, day: date, known: BoardDays | None = None) -> bool:
    """Whether ``day`` (a day on the board's own calendar) is a working day for ``board``:
    Monday to Friday, not an official rest day (Ley Federal del Trabajo art. 74), not one of
    the board's days off, and not already holding a session of the board. A meeting moved
    by the board's ``day_off_policy`` goes to such a day.

    ``known`` is what ``board_days`` read for a stretch around ``day``; without it (or when
    it does not reach ``day``) the database is asked.
    """
    known = known if known is not None and known.covers(day) else board_days(board, day, day)
    return (
        day.weekday() < SATURDAY
        and not is_closed_day(board, day, known)
        and day not in known.meeting_days
    )


def meeting_day(board: Board, due: date, known: BoardDays | None = None) -> date | None:
    """The day a meeting due on ``due`` is held: ``due`` itself unless it is closed; else
    the previous or next working day (as the board's policy says, within ``SEARCH_DAYS``),
    or ``None`` when it is skipped."""
    if not is_closed_day(board, due, known):
        return due
    if board.day_off_policy is DayOffPolicy.SKIP:
        return None
    step = timedelta(days=-1 if board.day_off_policy is DayOffPolicy.PREVIOUS else 1)
    for n in range(1, SEARCH_DAYS + 1):
        candidate = due + step * n
        if is_working_day(board, candidate, known):
            return candidate
    return None


def moved_start(local_start: datetime, day: date) -> datetime:
    """The same wall-clock time on another day (naive, board time)."""
    return datetime.combine(day, local_start.time())
