"""Dates and times as people say them, in the reader's language.

Two kinds of time are shown:

- **A session's time** (``when``): on the clock of the board that meets, named as people
  name it — "jueves 10 de diciembre, 18:00–19:30 h (hora de la Ciudad de México)" — and,
  for a reader whose own clock reads otherwise, also "16:00–17:30 h en su hora (Tijuana)".
  The year is said only when it is not this year (by the service's clock), except in
  records (minutes, certificates), which are read years later and always carry it.
- **A timestamp** (``local_datetime``: "10 dic 2026, 18:00 h"): when something was done
  (audit log, uploads, "updated"), on the reader's own clock, which the page names once
  where it matters rather than on every line.

Never a zone identifier ("America/Tijuana"), an abbreviation ("PST") or an offset
("GMT-08:00"): those are for machines (API, calendars), not for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from flask import has_request_context
from flask_babel import format_date, format_datetime, get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from telemed.core.clock import now_utc
from telemed.core.zones import locale_name, place, zone_time


@dataclass(frozen=True)
class Style:
    """How a language writes a day and a time of day (CLDR patterns; ``hours`` wraps
    "18:00" or "18:00–19:30")."""

    day: str
    day_with_year: str
    short_date: str
    hours: str


STYLES = {
    "es": Style("EEEE d 'de' MMMM", "EEEE d 'de' MMMM 'de' y", "d MMM y", "{} h"),
    "en": Style("EEEE d MMMM", "EEEE d MMMM y", "d MMM y", "{}"),
}


def style() -> Style:
    return STYLES.get(locale_name().split("_")[0], STYLES["en"])


def say_day(day: date, with_year: bool) -> str:
    """ "jueves 10 de diciembre" (or "... de 2027"); "Thursday 10 December"."""
    pattern = style().day_with_year if with_year else style().day
    return day_text(day, pattern, locale_name())


@lru_cache(maxsize=4096)
def day_text(day: date, pattern: str, locale: str) -> str:
    """A day in a CLDR pattern, remembered: Babel takes a tenth of a millisecond to write
    one, and a list of 50 rows writes the same few days again and again."""
    return str(babel_format_date(day, pattern, locale=locale))


def hours(start: datetime | time, end: datetime | time | None = None) -> str:
    """A time of day or a span on one clock: "18:00 h", "18:00–19:30 h"; "18:00"."""
    text = f"{start:%H:%M}" if end is None else f"{start:%H:%M}–{end:%H:%M}"
    return style().hours.format(text)


def when(
    start: datetime,
    zone_name: str,
    end: datetime | None = None,
    *,
    viewer_zone: str | None = None,
    record: bool = False,
) -> str:
    """A session's moment (or span, with ``end``) on its board's clock, and on the viewer's
    when that reads otherwise. ``record``: always with the year (minutes, certificates)."""
    zone = ZoneInfo(zone_name)
    local = start.astimezone(zone)
    local_end = end.astimezone(zone) if end is not None else None
    with_year = record or local.year != now_utc().astimezone(zone).year
    text = _(
        "%(day)s, %(hours)s (%(zone)s)",
        day=say_day(local.date(), with_year),
        hours=hours(local, local_end),
        zone=zone_time(zone_name),
    )
    if viewer_zone is None or not reads_otherwise(start, end, zone, ZoneInfo(viewer_zone)):
        return text
    theirs = start.astimezone(ZoneInfo(viewer_zone))
    theirs_end = end.astimezone(ZoneInfo(viewer_zone)) if end is not None else None
    their_hours = hours(theirs, theirs_end)
    if theirs.date() != local.date():  # past midnight on one of the two clocks
        their_hours = f"{say_day(theirs.date(), with_year)}, {their_hours}"
    yours = _("%(hours)s your time (%(place)s)", hours=their_hours, place=place(viewer_zone))
    return f"{text}; {yours}"


def reads_otherwise(start: datetime, end: datetime | None, one: ZoneInfo, other: ZoneInfo) -> bool:
    """Whether two clocks show different times for the moment or span (Monterrey and Mexico
    City never do; Tijuana and Mexico City always do, by one or two hours with the seasons)."""
    moments = (start,) if end is None else (start, end)
    return any(m.astimezone(one).utcoffset() != m.astimezone(other).utcoffset() for m in moments)


def viewer_zone() -> str | None:
    """The zone of the person reading this page; ``None`` for a visitor (whose zone nobody
    knows, so a page does not guess "your time")."""
    if has_request_context() and current_user.is_authenticated:
        return str(current_user.display_timezone)
    return None


def when_for_viewer(
    start: datetime, end: datetime | None = None, *, zone: str, record: bool = False
) -> str:
    """``when`` for the person reading the page: in a template,
    ``when(session.starts_at, session.ends_at, zone=board.timezone)``."""
    return when(start, zone, end, viewer_zone=viewer_zone(), record=record)


def local_datetime(
    value: datetime | None, zone_name: str | None = None, say_zone: bool = False
) -> str:
    """A timestamp, "10 dic 2026, 18:00 h", on the reader's clock (Flask-Babel's zone) or on
    ``zone_name``'s; ``say_zone`` adds "(hora de la Ciudad de México)" where the page does
    not say it otherwise (the minutes' finalisation and addenda)."""
    if value is None:
        return ""
    zone_name = zone_name or str(get_timezone() or "UTC")
    local = value.astimezone(ZoneInfo(zone_name))
    day = day_text(local.date(), style().short_date, locale_name())
    text = f"{day}, {hours(local)}"
    return f"{text} ({zone_time(zone_name)})" if say_zone else text


def local_date(value: date | None, style_name: str = "medium") -> str:
    return "" if value is None else format_date(value, style_name)


def short_datetime(value: datetime) -> str:
    """A moment to pick from a list, on the viewer's clock: "jue 10 dic, 18:00" (the year
    only when it is not this year's), so a day and an hour read at a glance."""
    pattern = "EEE d MMM, HH:mm" if value.year == now_utc().year else "EEE d MMM y, HH:mm"
    return str(format_datetime(value, pattern))
