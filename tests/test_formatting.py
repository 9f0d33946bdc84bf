"""Times read as people say them (issue 17): a session on its board's clock, named by its
city ("hora de la Ciudad de México"), and on the reader's own clock when that reads
otherwise; timestamps without zone identifiers or offsets.

Mexico City keeps UTC−6 all year; Tijuana follows the US (PST until 8 March 2026, PDT until
1 November); Cancún is UTC−5; Monterrey and Mérida read as Mexico City.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask_babel import force_locale

from telemed.core.clock import Clock
from telemed.core.formatting import local_datetime, when
from telemed.core.schemas import MEXICAN_TIMEZONES
from telemed.core.zones import place, zone_time

MEXICO_CITY = "America/Mexico_City"
TIJUANA = "America/Tijuana"


def at(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


@pytest.fixture
def spanish(app: Flask) -> Iterator[None]:
    with app.test_request_context(), force_locale("es_MX"):
        yield


@pytest.fixture
def english(app: Flask) -> Iterator[None]:
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture
def december(clock: Clock) -> Clock:
    clock.set(datetime(2026, 12, 1, 12, tzinfo=UTC))
    return clock


def test_a_session_in_spanish_on_its_boards_clock(spanish: None, december: Clock) -> None:
    start = at(MEXICO_CITY, 2026, 12, 10, 18)
    assert (
        when(start, MEXICO_CITY) == "jueves 10 de diciembre, 18:00 h (hora de la Ciudad de México)"
    )
    assert when(start, MEXICO_CITY, at(MEXICO_CITY, 2026, 12, 10, 19, 30)) == (
        "jueves 10 de diciembre, 18:00–19:30 h (hora de la Ciudad de México)"
    )


def test_a_session_in_english(english: None, december: Clock) -> None:
    start = at(MEXICO_CITY, 2026, 12, 10, 18)
    assert when(start, MEXICO_CITY, start.replace(hour=19, minute=30)) == (
        "Thursday 10 December, 18:00–19:30 (Mexico City time)"
    )


def test_a_reader_elsewhere_also_reads_their_own_clock(spanish: None, december: Clock) -> None:
    start, end = at(MEXICO_CITY, 2026, 12, 10, 18), at(MEXICO_CITY, 2026, 12, 10, 19, 30)
    assert when(start, MEXICO_CITY, end, viewer_zone=TIJUANA) == (
        "jueves 10 de diciembre, 18:00–19:30 h (hora de la Ciudad de México); "
        "16:00–17:30 h en su hora (Tijuana)"
    )
    assert when(start, MEXICO_CITY, viewer_zone="America/Cancun").endswith(
        "; 19:00 h en su hora (Cancún)"
    )
    with force_locale("en"):
        assert when(start, MEXICO_CITY, end, viewer_zone=TIJUANA) == (
            "Thursday 10 December, 18:00–19:30 (Mexico City time); 16:00–17:30 your time (Tijuana)"
        )


@pytest.mark.parametrize("zone", [MEXICO_CITY, "America/Monterrey", "America/Merida"])
def test_a_reader_whose_clock_reads_the_same_gets_no_second_time(
    spanish: None, december: Clock, zone: str
) -> None:
    text = when(at(MEXICO_CITY, 2026, 12, 10, 18), MEXICO_CITY, viewer_zone=zone)
    assert text == "jueves 10 de diciembre, 18:00 h (hora de la Ciudad de México)"


@pytest.mark.parametrize(
    ("day", "tijuana"),
    [(5, "16:00–17:30 h"), (12, "17:00–18:30 h")],  # Tijuana moves to PDT on Sunday 8 March
)
def test_tijuana_across_its_daylight_saving_change(
    spanish: None, clock: Clock, day: int, tijuana: str
) -> None:
    start = at(MEXICO_CITY, 2026, 3, day, 18)
    text = when(start, MEXICO_CITY, at(MEXICO_CITY, 2026, 3, day, 19, 30), viewer_zone=TIJUANA)
    assert text == (
        f"jueves {day} de marzo, 18:00–19:30 h (hora de la Ciudad de México); "
        f"{tijuana} en su hora (Tijuana)"
    )
    assert "PST" not in text and "PDT" not in text


def test_past_midnight_on_the_readers_clock_says_their_day(spanish: None, december: Clock) -> None:
    start = at(TIJUANA, 2026, 12, 10, 22, 30)  # a Tijuana board, read in Mexico City
    text = when(start, TIJUANA, at(TIJUANA, 2026, 12, 10, 23, 30), viewer_zone=MEXICO_CITY)
    assert text == (
        "jueves 10 de diciembre, 22:30–23:30 h (hora de Tijuana); "
        "viernes 11 de diciembre, 00:30–01:30 h en su hora (Ciudad de México)"
    )
    late = when(at(MEXICO_CITY, 2026, 12, 10, 23, 30), MEXICO_CITY,
                at(MEXICO_CITY, 2026, 12, 11, 0, 30))  # fmt: skip
    assert late == "jueves 10 de diciembre, 23:30–00:30 h (hora de la Ciudad de México)"


def test_the_year_only_when_it_is_not_this_year_except_in_records(
    spanish: None, december: Clock
) -> None:
    next_year = at(MEXICO_CITY, 2027, 1, 7, 18)
    assert when(next_year, MEXICO_CITY).startswith("jueves 7 de enero de 2027, 18:00 h")
    this_year = at(MEXICO_CITY, 2026, 12, 10, 18)
    assert when(this_year, MEXICO_CITY, record=True).startswith("jueves 10 de diciembre de 2026,")
    with force_locale("en"):
        assert when(next_year, MEXICO_CITY).startswith("Thursday 7 January 2027, 18:00 (")


def test_timestamps_name_no_zone(spanish: None) -> None:
    moment = at(MEXICO_CITY, 2026, 12, 10, 18)
    assert local_datetime(moment, MEXICO_CITY) == "10 dic 2026, 18:00 h"
    assert local_datetime(moment, TIJUANA) == "10 dic 2026, 16:00 h"
    assert (
        local_datetime(moment, TIJUANA, say_zone=True) == "10 dic 2026, 16:00 h (hora de Tijuana)"
    )
    with force_locale("en"):
        assert local_datetime(moment, MEXICO_CITY) == "10 Dec 2026, 18:00"


def test_every_zone_of_mexico_has_a_name_people_say(spanish: None) -> None:
    names = {zone: place(zone) for zone in MEXICAN_TIMEZONES}
    assert names[MEXICO_CITY] == "Ciudad de México"
    assert names["America/Cancun"] == "Cancún"
    assert names["America/Mazatlan"] == "Mazatlán"
    for zone, name in names.items():
        assert "/" not in name and "_" not in name and "GMT" not in name, zone
    assert zone_time(TIJUANA) == "hora de Tijuana"
    assert zone_time(MEXICO_CITY) == "hora de la Ciudad de México"
    with force_locale("en"):
        assert place(MEXICO_CITY) == "Mexico City"
        assert zone_time("America/Hermosillo") == "Hermosillo time"
