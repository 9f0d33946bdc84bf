"""Mexico's official rest days (Ley Federal del Trabajo, art. 74), from the ``holidays`` library.

Art. 74 names 1 January, the first Monday of February, the third Monday of March, 1 May,
16 September, the third Monday of November, 1 October every six years (the change of federal
government: 2024, 2030, …) and 25 December. ``holidays.MX`` gives exactly these (its only
category, ``public``); keeping the list in a maintained library means a reform of the law
arrives with an upgrade instead of a code change. 24 and 31 December are not rest days: a
board that does not meet then marks them as its own days off.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from types import MappingProxyType

import holidays as holiday_calendars

# The languages the library names Mexico's holidays in, by the app's locales.
NAME_LANGUAGES = {"es": "es", "en": "en_US"}


@lru_cache(maxsize=128)
def rest_days(year: int, language: str = "es") -> Mapping[date, str]:
    """The official rest days of ``year`` with their names (Spanish unless ``language`` is one
    of ``NAME_LANGUAGES``' keys); cached, the law changes less often than the process."""
    names = holiday_calendars.country_holidays(
        "MX", years=year, language=NAME_LANGUAGES.get(language[:2], "es")
    )
    return MappingProxyType(dict(sorted(names.items())))  # shared by the cache: read-only


def is_rest_day(day: date) -> bool:
    """Whether ``day`` is an official rest day in Mexico."""
    return day in rest_days(day.year)


def rest_days_between(first: date, last: date, language: str = "es") -> list[tuple[date, str]]:
    """The official rest days from ``first`` to ``last`` (both included), in order."""
    return [
        (day, name)
        for year in range(first.year, last.year + 1)
        for day, name in rest_days(year, language).items()
        if first <= day <= last
    ]
