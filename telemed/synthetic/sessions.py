"""Where the generator's cases are discussed: each board's sessions, made as they are needed.

A board has its regular meetings from its RRULE (one per occurrence, ``occurrence_key`` set).
A date that holds more cases than one session fits gets extra sessions (``occurrence_key``
None), earlier the same day and then in parallel rooms, so every session holds about
``case_capacity`` cases even at a million cases. About 3 % of past sessions of either sort
are cancelled: a cancelled regular date sends its cases to the next meeting, a cancelled
extra session has no cases (they went to the room opened after it).
"""

from __future__ import annotations

import random
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr
from sqlalchemy import select

from telemed.boards.models import Board, SessionKind
from telemed.extensions import db
from telemed.sessions.models import BoardSession, SessionStatus
from telemed.sessions.working_days import closed_days

SESSION_COLUMNS = (
    "id", "board_id", "number", "kind", "status", "occurrence_key", "extraordinary",
    "starts_at", "ends_at", "cutoff_at", "capacity", "booked", "room_url", "topic", "speaker",
    "audience", "sequence", "roster_version", "invites_sequence", "invites_roster",
    "audience_scope", "started_at", "ended_at", "created_at",
)  # fmt: skip
SLOT = timedelta(minutes=90)  # extra sessions step back from the regular time by this
SLOTS_PER_DAY = 7
CANCELLED_SHARE = 0.03


@dataclass(slots=True)
class Slot:
    """One session as the generator tracks it: how full it is and when it starts (naive UTC)."""

    id: int
    starts_at: datetime
    held: bool
    count: int = 0


@dataclass(slots=True)
class Group:
    """The sessions of one board on one local date."""

    slots: list[Slot] = field(default_factory=list)


@dataclass
class Ids:
    """Next free id per table, handed out in memory (no RETURNING round trips)."""

    next: dict[str, int]

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


class BoardPlan:
    """Sessions of one case-review board over the generated years."""

    def __init__(self, board: Board, start: datetime, now: datetime, horizon: datetime,
                 rng: random.Random) -> None:  # fmt: skip
        self.board_id = board.id
        self.kind = board.kind
        self.zone = ZoneInfo(board.timezone)
        self.duration = timedelta(minutes=board.duration_minutes)
        self.capacity = board.case_capacity
        self.cutoff_days = board.cutoff_days_before
        self.cutoff_time = board.cutoff_time
        self.room_pattern = board.room_url_pattern
        self.next_number = board.next_session_number
        self.now = now
        self.rng = rng
        rule = rrulestr(board.rrule, dtstart=board.dtstart - relativedelta(years=40))
        local_from = start.astimezone(self.zone).replace(tzinfo=None)
        local_to = horizon.astimezone(self.zone).replace(tzinfo=None)
        self.regular: list[date] = []
        self.regular_local: dict[date, datetime] = {}
        self.cancelled: set[date] = set()
        # No meeting on an official rest day or a day off of the board (history skips them).
        closed = self.closed = closed_days(board, local_from.date(), local_to.date())
        for local in rule.between(local_from, local_to, inc=True):
            day = local.date()
            if day in closed:
                continue
            self.regular.append(day)
            self.regular_local[day] = local
            if self.utc(local) + self.duration <= now and rng.random() < CANCELLED_SHARE:
                self.cancelled.add(day)
        self.open_dates = [d for d in self.regular if d not in self.cancelled]
        self.default_time: time = (
            self.regular_local[self.regular[0]].time() if self.regular else time(18, 0)
        )
        self.pointer = 0  # regular dates before this index have their session
        self.groups: dict[date, Group] = {}
        self.existing = _existing_sessions(board.id)

    def utc(self, local: datetime) -> datetime:
        """Naive local wall time in the board's zone → naive UTC."""
        return local.replace(tzinfo=self.zone).astimezone(UTC).replace(tzinfo=None)

    def local_date(self, moment: datetime) -> date:
        return moment.replace(tzinfo=UTC).astimezone(self.zone).date()

    def next_open(self, day: date) -> date | None:
        """The first regular, not cancelled meeting date on or after ``day``."""
        index = bisect_left(self.open_dates, day)
        return self.open_dates[index] if index < len(self.open_dates) else None

    def is_open_regular(self, day: date) -> bool:
        return day in self.regular_local and day not in self.cancelled

    def ensure_regular(self, upto: date, out: SessionRows) -> None:
        """Create the regular sessions (empty ones too) of every date up to ``upto``."""
        while self.pointer < len(self.regular) and self.regular[self.pointer] <= upto:
            day = self.regular[self.pointer]
            self.pointer += 1
            local = self.regular_local[day]
            key = local.isoformat(timespec="minutes")
            group = self.groups.setdefault(day, Group())
            if key in self.existing:
                session_id, starts_at, status, booked = self.existing[key]
                if status is not SessionStatus.CANCELLED:
                    held = status is SessionStatus.HELD
                    group.slots.append(Slot(session_id, starts_at, held, booked))
                continue
            cancelled = day in self.cancelled
            slot = out.add(self, local, key, cancelled=cancelled)
            if not cancelled:
                group.slots.append(slot)

    def place(self, day: date, out: SessionRows) -> Slot:
        """A seat for one case in a session of ``day``, opening another session when full."""
        if day in self.regular_local:
            self.ensure_regular(day, out)
        group = self.groups.setdefault(day, Group())
        if not group.slots or group.slots[-1].count >= self.capacity:
            j = len(group.slots)
            local = datetime.combine(day, self.default_time)
            if day in self.regular_local:
                local = self.regular_local[day]
            local -= SLOT * (j % SLOTS_PER_DAY)
            if self.utc(local) + self.duration <= self.now and self.rng.random() < CANCELLED_SHARE:
                out.add(self, local, None, cancelled=True)  # its cases went to the next room
            group.slots.append(out.add(self, local, None, cancelled=False))
        slot = group.slots[-1]
        slot.count += 1
        return slot

    def forget_before(self, day: date) -> None:
        """Drop dates no later case can reach, so memory stays bounded."""
        for old in [d for d in self.groups if d < day]:
            del self.groups[old]


def _existing_sessions(board_id: int) -> dict[str, tuple[int, datetime, SessionStatus, int]]:
    """Regular sessions already in the database (the scheduler's, or an earlier run's)."""
    rows = db.session.execute(
        select(
            BoardSession.occurrence_key, BoardSession.id, BoardSession.starts_at,
            BoardSession.status, BoardSession.booked,
        ).where(BoardSession.board_id == board_id, BoardSession.occurrence_key.is_not(None))
    )  # fmt: skip
    return {
        key: (sid, starts.replace(tzinfo=None), status, booked)
        for key, sid, starts, status, booked in rows
        if key is not None  # the query's filter; the column allows it
    }


class SessionRows:
    """Session rows (and the attendance rows of held ones) waiting for the chunk's write."""

    def __init__(self, ids: Ids, attendance: Any) -> None:
        self.ids = ids
        self.rows: list[tuple[Any, ...]] = []
        self.attendance = attendance  # callable(session_id, board_id, kind, starts_at)

    def add(
        self,
        plan: BoardPlan,
        local: datetime,
        key: str | None,
        *,
        cancelled: bool,
        kind: SessionKind | None = None,
        topic: str | None = None,
        speaker: str | None = None,
    ) -> Slot:
        session_id = self.ids.take("board_sessions")
        number = plan.next_number
        plan.next_number += 1
        starts_at = plan.utc(local)
        ends_at = starts_at + plan.duration
        held = ends_at <= plan.now
        status = (
            SessionStatus.CANCELLED
            if cancelled
            else (SessionStatus.HELD if held else SessionStatus.PLANNED)
        )
        if key is None:
            cutoff_at = starts_at  # extraordinary sessions take cases until they start
        else:
            cutoff_day = local.date() - timedelta(days=plan.cutoff_days)
            cutoff_at = plan.utc(datetime.combine(cutoff_day, plan.cutoff_time))
        is_held = status is SessionStatus.HELD
        kind = kind or plan.kind
        general = kind is not SessionKind.CASE_REVIEW
        self.rows.append((
            session_id, plan.board_id, number, kind.value, status.value, key, key is None,
            starts_at, ends_at, cutoff_at, 0 if general else plan.capacity, 0,
            plan.room_pattern.format(board=plan.board_id, session=number), topic, speaker,
            "Red OncoCREAN" if general else None, 1 if cancelled else 0, 0, -1, -1,
            "everyone" if general else None,
            starts_at + timedelta(minutes=2) if is_held else None,
            ends_at - timedelta(minutes=5) if is_held else None,
            min(starts_at - timedelta(days=56), plan.now),
        ))  # fmt: skip
        if is_held:
            self.attendance(session_id, plan.board_id, kind, starts_at)
        return Slot(session_id, starts_at, is_held)
