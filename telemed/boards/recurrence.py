"""Session times from a board's RRULE, evaluated in the board's own time zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from telemed.boards.models import Board


def occurrences(board: Board, start: datetime, end: datetime) -> Iterator[datetime]:
    """Local wall-clock starts (naive) whose UTC instant falls in ``[start, end)``.

    The rule runs on naive local times so "Thursday 18:00" stays 18:00 across DST changes.
    """
    zone = ZoneInfo(board.timezone)
    rule = rrulestr(board.rrule, dtstart=board.dtstart)
    local_start = start.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    local_end = end.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    for local in rule.between(local_start, local_end, inc=True):
        instant = to_utc(local, zone)
        if start <= instant < end:
            yield local


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC)


def cutoff_for(board: Board, starts_at: datetime) -> datetime:
    """Agenda cut-off: ``cutoff_time`` board time, ``cutoff_days_before`` days earlier."""
    zone = ZoneInfo(board.timezone)
    local_day = starts_at.astimezone(zone).date() - timedelta(days=board.cutoff_days_before)
    return to_utc(datetime.combine(local_day, board.cutoff_time), zone)


def room_url(board: Board, number: int) -> str:
    """One stable video-room link per session from the board's pattern."""
    return board.room_url_pattern.format(board=board.id, session=number)
