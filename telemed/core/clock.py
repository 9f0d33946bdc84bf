"""The one source of "now". Tests replace it to move time without sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def system_now() -> datetime:
    return datetime.now(UTC)


class Clock:
    """Callable returning aware UTC datetimes; ``set``/``advance`` exist for tests."""

    def __init__(self, source: Callable[[], datetime] = system_now) -> None:
        self._source = source
        self._fixed: datetime | None = None

    def __call__(self) -> datetime:
        return self._fixed if self._fixed is not None else self._source()

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("the clock only holds aware datetimes")
        self._fixed = moment.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self.set(self() + delta)


def now_utc() -> datetime:
    """Current aware UTC time from the application's clock (system time outside an app)."""
    if has_app_context():
        clock: Clock = current_app.extensions["telemed.clock"]
        return clock()
    return system_now()


def local_day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone`` (for date filters in the viewer's zone)."""
    return datetime.combine(day, time.min, tzinfo=zone)
