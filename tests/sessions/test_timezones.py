"""Times are stored in UTC, computed in the board's zone and shown in the viewer's zone.

Mexico City has no daylight saving time since 2022; Tijuana follows the US (8 March and
1 November 2026). A Thursday 18:00 Mexico City session is 16:00 in Tijuana in January and
17:00 in July, 19:00 in Cancún.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from telemed.auth.models import User
from telemed.cases.models import Case
from telemed.extensions import db
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import BoardSession
from telemed.sessions.service import close_due_agendas, generate_sessions
from tests.conftest import client_for
from tests.scenes.boards import (
    MEXICO_CITY,
    TIJUANA,
    emails,
    local,
    session_of,
    sessions_of,
    utc,
)

MONTHS_ES = {1: "enero", 7: "julio"}

CANCUN = ZoneInfo("America/Cancun")


def scheduled_line(app: Flask, user: User, case: Case) -> str:
    """The "Scheduled: …" sentence of the case page as ``user`` sees it."""
    page = client_for(app, user).get(f"/cases/{case.id}").get_data(as_text=True)
    found = re.search(r'id="scheduled">(.*?)</p>', page, re.S)
    assert found is not None, "the case page shows no session"
    return found.group(1)


def shown(session: BoardSession, zone: ZoneInfo) -> str:
    return session.starts_at.astimezone(zone).strftime("%H:%M")


@pytest.mark.parametrize(
    ("monday", "tijuana", "label"),
    [(datetime(2026, 1, 5, 12), "16:00", "PST"), (datetime(2026, 7, 6, 12), "17:00", "PDT")],
)
def test_thursday_18_mexico_city_as_a_tijuana_doctor_sees_it(
    app, make_board, chair, accepted, make_case, accept, other_referring, referring,
    coordinator, clock, monday, tijuana, label,
):  # fmt: skip
    from telemed.boards.models import MemberRole

    make_board(members=[(chair, MemberRole.CHAIR)])
    clock.set(monday.replace(tzinfo=MEXICO_CITY))
    generate_sessions()
    mine = accepted()
    theirs = accept(make_case(by=other_referring, specialty="solid_tumours", urgency="routine"))
    assign_cases()
    session = session_of(mine)
    assert session_of(theirs).id == session.id

    assert shown(session, MEXICO_CITY) == "18:00"
    assert shown(session, TIJUANA) == tijuana
    assert shown(session, CANCUN) == "19:00"

    # What the referring doctor and the coordinator read on the case page: the board's
    # clock, and the doctor's own beside it.
    assert f"; {tijuana}–" in scheduled_line(app, referring, mine)
    assert ", 18:00–19:30 (Mexico City time), " in scheduled_line(app, coordinator, mine)

    # What each attendee reads in the agenda email: their own zone.
    clock.set(session.cutoff_at)
    close_due_agendas()
    bodies = {m.to_address: m.body_text for m in emails("agenda_closed")}
    day = session.starts_at.astimezone(MEXICO_CITY).date()
    when = (
        f"jueves {day.day} de {MONTHS_ES[day.month]}, 18:00–19:30 h (hora de la Ciudad de México)"
    )
    assert f"{when}; {tijuana}–" in bodies[referring.email]
    assert " h en su hora (Tijuana)" in bodies[referring.email]
    assert label not in bodies[referring.email]  # no "PST", no "America/Tijuana"
    assert f"{when}; 19:00–20:30 h en su hora (Cancún)" in bodies[other_referring.email]
    assert f"{when}\n" in bodies[chair.email]  # the chair's clock is the board's


def test_profile_zone_overrides_the_centres(make_board, accepted, referring, clock):
    make_board()
    generate_sessions()
    referring.timezone = "America/Hermosillo"
    db.session.commit()
    case = accepted()
    assign_cases()
    session = session_of(case)
    clock.set(session.cutoff_at)
    close_due_agendas()
    [mail] = [m for m in emails("agenda_closed") if m.to_address == referring.email]
    assert (
        "jueves 5 de marzo, 18:00–19:30 h (hora de la Ciudad de México); "
        "17:00–18:30 h en su hora (Hermosillo)"
    ) in mail.body_text


def test_mexico_city_sessions_do_not_shift_in_utc_across_us_dst_changes(make_board, clock):
    board = make_board()
    for monday in (local(2026, 3, 2, 9), local(2026, 10, 26, 9)):
        clock.set(monday)
        generate_sessions(timedelta(weeks=3))
    sessions = sessions_of(board)
    assert len(sessions) == 6
    for session in sessions:
        assert session.starts_at.time() == time(0, 0)  # Friday 00:00 UTC
        assert session.starts_at.strftime("%A") == "Friday"
        assert session.cutoff_at.time() == time(5, 59)  # Wednesday 05:59 UTC
    # Tijuana doctors see the same sessions an hour later once the US moved its clocks.
    assert [shown(s, TIJUANA) for s in sessions] == [
        "16:00", "17:00", "17:00", "17:00", "16:00", "16:00",
    ]  # fmt: skip


def test_tijuana_board_keeps_18_00_and_23_59_local_across_dst(make_board, clock):
    board = make_board(timezone="America/Tijuana")
    clock.set(local(2026, 3, 2, 9, zone=TIJUANA))
    generate_sessions(timedelta(weeks=2))
    clock.set(local(2026, 10, 26, 9, zone=TIJUANA))
    generate_sessions(timedelta(weeks=2))

    sessions = sessions_of(board)
    assert [s.starts_at for s in sessions] == [
        utc(2026, 3, 6, 2), utc(2026, 3, 13, 1),  # PST, then PDT
        utc(2026, 10, 30, 1), utc(2026, 11, 6, 2),  # PDT, then PST
    ]  # fmt: skip
    assert [s.cutoff_at for s in sessions] == [
        utc(2026, 3, 4, 7, 59), utc(2026, 3, 11, 6, 59),
        utc(2026, 10, 28, 6, 59), utc(2026, 11, 4, 7, 59),
    ]  # fmt: skip
    for session in sessions:
        assert session.starts_at.astimezone(TIJUANA).time() == time(18, 0)
        assert session.cutoff_at.astimezone(TIJUANA).time() == time(23, 59)
        assert session.ends_at - session.starts_at == timedelta(minutes=90)


@pytest.mark.parametrize(
    ("monday", "session_utc", "cutoff_utc", "real_gap"),
    [
        # Saturday 7 March 23:59 PST → Monday 9 March 18:00 PDT: an hour shorter.
        (datetime(2026, 3, 2, 9), utc(2026, 3, 10, 1), utc(2026, 3, 8, 7, 59), 41),
        # Saturday 31 October 23:59 PDT → Monday 2 November 18:00 PST: an hour longer.
        (datetime(2026, 10, 26, 9), utc(2026, 11, 3, 2), utc(2026, 11, 1, 6, 59), 43),
    ],
)
def test_cutoff_on_the_other_side_of_the_dst_change(
    make_board, clock, monday, session_utc, cutoff_utc, real_gap
):
    board = make_board(
        timezone="America/Tijuana", rrule="FREQ=WEEKLY;BYDAY=MO;BYHOUR=18;BYMINUTE=0"
    )
    clock.set(monday.replace(tzinfo=TIJUANA))
    generate_sessions(timedelta(weeks=1, days=1))
    session = sessions_of(board)[-1]

    assert session.starts_at == session_utc
    assert session.cutoff_at == cutoff_utc
    cutoff = session.cutoff_at.astimezone(TIJUANA)
    assert (cutoff.strftime("%A"), cutoff.time()) == ("Saturday", time(23, 59))
    assert session.starts_at - session.cutoff_at == timedelta(hours=real_gap, minutes=1)


@pytest.mark.parametrize(("minute", "lands_on"), [(58, 1), (59, 2)])
def test_case_sent_at_2358_tijuana_after_the_change_still_makes_thursday(
    make_board, accepted, clock, minute, lands_on
):
    board = make_board(timezone="America/Tijuana")
    clock.set(local(2026, 3, 9, 9, zone=TIJUANA))  # Monday after the change
    generate_sessions(timedelta(weeks=2))
    clock.set(local(2026, 3, 10, 23, minute, zone=TIJUANA))  # Tuesday, PDT
    case = accepted()
    assign_cases()
    session = session_of(case)
    assert session.id == sessions_of(board)[lands_on - 1].id
    assert session.starts_at.astimezone(TIJUANA).date().day == (12 if lands_on == 1 else 19)
