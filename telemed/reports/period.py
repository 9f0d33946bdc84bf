"""The period a report covers, as calendar days; each board turns it into instants on its
own clock, so "November" means November in Tijuana for a Tijuana board."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from telemed.core.clock import local_day_start
from telemed.core.errors import InputError
from telemed.core.schemas import within_years

PERIOD_KINDS = ("week", "month", "year", "custom", "all")
PERIOD_LABELS = {
    "week": _l("This week"),
    "month": _l("This month"),
    "year": _l("This year"),
    "custom": _l("Custom range"),
    "all": _l("All time"),
}
# Custom ranges longer than this are almost certainly a typo in the year.
LONGEST_RANGE = timedelta(days=366 * 30)


@dataclass(frozen=True)
class Period:
    """Days ``first``..``last`` inclusive; both None for all time."""

    kind: str
    first: date | None
    last: date | None

    @property
    def is_all_time(self) -> bool:
        return self.first is None

    def bounds(self, zone: str) -> tuple[datetime | None, datetime | None]:
        """The period as ``[start, end)`` instants in ``zone`` (None, None for all time)."""
        if self.first is None or self.last is None:
            return None, None
        tz = ZoneInfo(zone)
        return local_day_start(self.first, tz), local_day_start(self.last + timedelta(days=1), tz)

    def query_args(self) -> dict[str, str]:
        """What to put in a link (CSV, tabs) to get this same period again."""
        if self.kind != "custom":
            return {"period": self.kind}
        return {"period": "custom", "from": str(self.first), "to": str(self.last)}


def parse_period(args: dict[str, str], today: date) -> Period:
    """``period`` is one of PERIOD_KINDS (default month); ``custom`` needs ``from``/``to``."""
    kind = (args.get("period") or "month").strip()
    if kind not in PERIOD_KINDS:
        raise InputError({"period": [str(_l("Choose a period from the list."))]})
    if kind == "all":
        return Period(kind, None, None)
    if kind == "week":
        first = today - timedelta(days=today.weekday())
        return Period(kind, first, first + timedelta(days=6))
    if kind == "month":
        first = today.replace(day=1)
        return Period(kind, first, first + relativedelta(months=1, days=-1))
    if kind == "year":
        return Period(kind, date(today.year, 1, 1), date(today.year, 12, 31))
    first = parse_day(args, "from")
    last = parse_day(args, "to")
    if last < first:
        raise InputError({"to": [str(_l("The end of the range is before its start."))]})
    if last - first > LONGEST_RANGE:
        raise InputError({"from": [str(_l("The range is longer than 30 years."))]})
    return Period(kind, first, last)


def parse_day(args: dict[str, str], name: str) -> date:
    raw = (args.get(name) or "").strip()
    if not raw:
        raise InputError({name: [str(_l("Give a date for a custom range."))]})
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InputError({name: [str(_l("Write the date as YYYY-MM-DD."))]}) from None
    try:
        within_years(day)  # 9999-12-31 has no next day to end the range on
    except ValidationError as err:
        raise InputError({name: [str(m) for m in err.messages]}) from None
    return day


def next_month(month: date) -> date:
    return month.replace(day=1) + relativedelta(months=1)


def month_range(first: date, last: date) -> list[date]:
    """First days of the months from ``first``'s to ``last``'s."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def month_edges(first: date, last: date, zone: str) -> tuple[list[date], list[datetime]]:
    """The months from ``first``'s to ``last``'s (chart buckets) and their boundaries as
    instants in ``zone``: one more edge than months."""
    tz = ZoneInfo(zone)
    months = month_range(first, last)
    edges = [local_day_start(month, tz) for month in months]
    edges.append(local_day_start(next_month(months[-1]), tz))
    return months, edges
