"""Monthly charts of a short period: "this month" drawn alone is one bar, which says
nothing, so a period of fewer than twelve months is charted with the months before it —
the twelve ending with the period's last — and its own months are highlighted."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from babel.dates import format_skeleton
from dateutil.relativedelta import relativedelta
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from telemed.reports.period import Period, month_range
from telemed.reports.scope import Scope

MONTHS_SHOWN = 12


def is_short(period: Period) -> bool:
    """Fewer than twelve calendar months (a week, a month, a quarter…)."""
    if period.first is None or period.last is None:
        return False
    return len(month_range(period.first, period.last)) < MONTHS_SHOWN


def trend_scope(scope: Scope) -> Scope:
    """The scope a monthly chart reads: a short period's twelve months, else the period."""
    period = scope.period
    if not is_short(period) or period.last is None:
        return scope
    first = period.last.replace(day=1) - relativedelta(months=MONTHS_SHOWN - 1)
    return replace(scope, period=Period("custom", first, period.last))


def in_period(months: list[date], period: Period) -> list[bool]:
    """For each chart month, whether it overlaps the chosen period; nothing to highlight
    (an empty list) when the chart is the period itself."""
    if not is_short(period) or period.first is None:
        return []
    first = period.first.replace(day=1)
    return [first <= month <= (period.last or month) for month in months]


def highlight_note(months: list[date], highlight: list[bool]) -> Any:
    """What the colours mean, in words, for those who cannot tell them apart (and for the
    chart's text alternative)."""
    if not highlight:
        return ""
    chosen = [month for month, shown in zip(months, highlight, strict=True) if shown]
    if not chosen:
        return ""
    first, last = month_name(chosen[0]), month_name(chosen[-1])
    return _l(
        "The chosen period (%(months)s) is drawn in full colour; the paler months before it "
        "are there to compare.",
        months=first if first == last else f"{first} – {last}",
    )


def month_name(month: date) -> str:
    """As each language writes a month of a year: "octubre de 2026", "October 2026"."""
    return format_skeleton("yMMMM", month, locale=get_locale() or "es_MX")


def mark_chosen(rows: list[dict[str, Any]], highlight: list[bool]) -> list[tuple[str, Any]]:
    """Gives the month table the mark the chart's colour gives (its text alternative);
    returns the column to add, if any."""
    if not highlight:
        return []
    for row, chosen in zip(rows, highlight, strict=True):
        row["chosen"] = str(_l("Yes")) if chosen else ""
    return [("chosen", _l("Chosen period"))]
