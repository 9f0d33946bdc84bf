"""Dates and times as people read them: in the viewer's time zone and language."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import format_date, format_datetime


def local_datetime(value: datetime | None, style: str = "medium") -> str:
    """Shown in the viewer's time zone (Flask-Babel's selector), with its abbreviation."""
    if value is None:
        return ""
    return format_datetime(value, "d MMM y, HH:mm ZZZZ" if style == "medium" else style)


def local_date(value: date | None) -> str:
    return "" if value is None else format_date(value, "medium")
