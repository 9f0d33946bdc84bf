"""Dates and times as people read them: in the viewer's time zone and language."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import format_date, format_datetime

from telemed.core.clock import now_utc


def local_datetime(value: datetime | None, style: str = "medium") -> str:
    """Shown in the viewer's time zone (Flask-Babel's selector), with its abbreviation."""
    if value is None:
        return ""
    return format_datetime(value, "d MMM y, HH:mm ZZZZ" if style == "medium" else style)


def local_date(value: date | None, style: str = "medium") -> str:
    return "" if value is None else format_date(value, style)


def wall_clock(start: datetime, zone_name: str, end: datetime | None = None) -> str:
    """A moment (or, with ``end``, a span) on the clock of ``zone_name`` in the current
    language, e.g. "jueves, 5 de marzo de 2026, 16:00–17:30 PST (America/Tijuana)".

    Emails pass the recipient's zone: the person logged in when an email is queued (whose
    zone Flask-Babel would use) is seldom the one who reads it.
    """
    zone = ZoneInfo(zone_name)
    local = start.astimezone(zone)
    day = format_date(local.date(), "full")
    hours = f"{local:%H:%M}" if end is None else f"{local:%H:%M}–{end.astimezone(zone):%H:%M}"
    return f"{day}, {hours} {local.tzname() or ''} ({zone_name})"


def short_datetime(value: datetime) -> str:
    """A moment to pick from a list, on the viewer's clock: "jue 10 dic, 18:00" (the year
    only when it is not this year's), so a day and an hour read at a glance."""
    pattern = "EEE d MMM, HH:mm" if value.year == now_utc().year else "EEE d MMM y, HH:mm"
    return format_datetime(value, pattern)
