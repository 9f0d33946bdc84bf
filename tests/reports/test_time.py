"""The urgent 72-hour share against the clock, and periods taken on each board's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from telemed.auth.models import Role
from telemed.boards.models import SessionKind
from telemed.cases.models import CaseStatus, Urgency
from telemed.core.vocabulary import RequestKind, Specialty
from telemed.extensions import db
from telemed.sessions.models import SessionStatus
from tests.reports.conftest import figures
from tests.reports.dataset import add_case, add_session

LL, ST = Specialty.LEUKAEMIA_LYMPHOMA, Specialty.SOLID_TUMOURS


def urgent(author, centre, submitted, discussed=None):
    return add_case(author, centre, LL, Urgency.URGENT, RequestKind.OTHER, False,
                    CaseStatus.ACCEPTED, submitted, None, discussed)  # fmt: skip


def test_urgent_share_counts_exactly_72_hours(clock, make_centre, make_user, make_board, admin):
    now = datetime(2026, 6, 10, 18, 0, tzinfo=UTC)
    clock.set(now)
    centre = make_centre()
    author = make_user(Role.REFERRING, centre_id=centre.id)
    make_board(specialties=(LL,))
    h72 = timedelta(hours=72)
    first = datetime(2026, 6, 1, 18, 0, tzinfo=UTC)
    urgent(author, centre, first, first + h72)  # exactly 72 h: in time
    urgent(author, centre, first, first + h72 + timedelta(minutes=1))  # 72 h 1 min: late
    urgent(author, centre, now - timedelta(hours=71))  # undiscussed, 72 h not up: not counted
    urgent(author, centre, now - timedelta(hours=73))  # undiscussed, 72 h passed: late
    db.session.commit()
    assert figures("cases", {"period": "all"}, admin)["urgent_72h_share"] == 33.3  # 1 / 3
    clock.advance(timedelta(hours=2))  # the 71-hour case is now 73 h old
    assert figures("cases", {"period": "all"}, admin)["urgent_72h_share"] == 25.0  # 1 / 4


def boundary_network(make_centre, make_user, make_board):
    """The same instant, 1 Nov 2026 06:30 UTC, is 31 Oct 23:30 in Tijuana (UTC-7) and
    1 Nov 00:30 in Mexico City (UTC-6): a case and a held session of each board then."""
    centre = make_centre()
    author = make_user(Role.REFERRING, centre_id=centre.id)
    mx = make_board(specialties=(LL,))
    tj = make_board(specialties=(ST,), timezone="America/Tijuana")
    moment = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    for board, specialty in ((mx, LL), (tj, ST)):
        add_case(author, centre, specialty, Urgency.ROUTINE, RequestKind.OTHER, False,
                 CaseStatus.SUBMITTED, moment)  # fmt: skip
        add_session(board, 1, SessionKind.CASE_REVIEW, SessionStatus.HELD, moment, 6)
    db.session.commit()
    return mx, tj


def month(first, last):
    return {"period": "custom", "from": first, "to": last}


OCT, NOV = month("2026-10-01", "2026-10-31"), month("2026-11-01", "2026-11-30")


def test_periods_follow_each_boards_clock(clock, make_centre, make_user, make_board, admin):
    clock.set(datetime(2026, 12, 15, 18, 0, tzinfo=UTC))
    mx, tj = boundary_network(make_centre, make_user, make_board)
    for args, expected in ((OCT, 1), (NOV, 1)):  # Tijuana's in October, Mexico City's in Nov
        found = figures("overview", args, admin)
        assert (found["submitted"], found["sessions_held"]) == (expected, expected)
    for board, in_oct, in_nov in ((tj, 1, 0), (mx, 0, 1)):
        for args, expected in ((OCT, in_oct), (NOV, in_nov)):
            found = figures("overview", {**args, "board": str(board.id)}, admin)
            assert (found["submitted"], found["sessions_held"]) == (expected, expected)


def test_this_month_week_year_follow_the_clock(clock, make_centre, make_user, make_board, admin):
    boundary_network(make_centre, make_user, make_board)
    # 1 Nov 07:00 UTC: Sunday 1 Nov 01:00 in Mexico City (the network's clock), so "this
    # month" is November: the Mexico City case; Tijuana's (31 Oct there) is October's.
    clock.set(datetime(2026, 11, 1, 7, 0, tzinfo=UTC))
    assert figures("cases", {"period": "month"}, admin)["submitted"] == 1
    assert figures("cases", {"period": "week"}, admin)["submitted"] == 2  # Mon 26 Oct – Sun 1 Nov
    assert figures("cases", {"period": "year"}, admin)["submitted"] == 2
    clock.set(datetime(2026, 11, 2, 18, 0, tzinfo=UTC))  # Monday 2 Nov: a new week
    assert figures("cases", {"period": "week"}, admin)["submitted"] == 0
    assert figures("cases", {"period": "month"}, admin)["submitted"] == 1
    clock.set(datetime(2026, 12, 5, 18, 0, tzinfo=UTC))
    assert figures("cases", {"period": "month"}, admin)["submitted"] == 0
    assert figures("cases", {"period": "year"}, admin)["submitted"] == 2
    clock.set(datetime(2027, 1, 5, 18, 0, tzinfo=UTC))
    assert figures("cases", {"period": "year"}, admin)["submitted"] == 0
