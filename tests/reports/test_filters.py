"""Board, centre and state filters change the figures as counted by hand; bad filters get
a 422 page naming the field, with nothing computed; coordinators see only their boards."""

from __future__ import annotations

import re

import pytest

from tests.conftest import client_for
from tests.reports.conftest import figures, table
from tests.reports.dataset import ALL

KEYS = ("sessions_held", "sessions_cancelled", "submitted", "accepted", "examined",
        "examined_high_complexity", "urgent_72h_share", "referrals", "patients_referred",
        "agreements_open", "agreements_done", "agreements_overdue")  # fmt: skip


def overview(args, actor):
    found = figures("overview", {**ALL, **args}, actor)
    return tuple(found[key] for key in KEYS)


def test_board_filter(network, admin):
    tj = network.boards["TJ"]
    assert overview({"board": str(tj.id)}, admin) == (
        2, 1,  # held T1 T2, cancelled T3
        3, 3, 1, 0,  # ST cases k5 k6 k8; examined k5 (not high-complexity)
        0.0,  # urgent k8, never discussed: 0 / 1
        2, 1,  # r12 r13; patients k5 (r12 cancelled)
        2, 0, 1,  # a4 a5 open, a5 overdue
    )  # fmt: skip


def test_centre_filter(network, admin):
    raza = network.centres["RAZA"]
    assert overview({"centre": str(raza.id)}, admin) == (
        6, 2,  # sessions belong to boards: the centre filter leaves them alone
        5, 5, 5, 3,  # k1 k2 k11 k13 k14, all discussed; high-complexity k1 k2 k13
        100.0,  # urgent k1 at 60 h: 1 / 1
        5, 5,  # r1..r5
        0, 2, 0,  # a1 (k1) and a6 (k11), both done
    )  # fmt: skip
    assert table("referrals", "referred_to_hito", {**ALL, "centre": str(raza.id)}, admin) == [
        {"centre": "CMN La Raza", "patients": 5},
        {"centre": "Total", "patients": 5},
    ]


def test_state_filter(network, admin):
    args = {"state": "Ciudad de México"}  # La Raza + Siglo XXI (HITO is in Nuevo León)
    assert overview(args, admin) == (
        6, 2,
        9, 9, 9, 6,  # 5 + 4 cases, all discussed; high-complexity 3 + 3 (k4 k12 k15)
        50.0,  # urgent k1 ✓, k4 at 102 h ✗
        10, 9,  # r1..r10; patients 5 + 4
        2, 2, 1,  # a1 a2 a3 a6: open a2 a3, done a1 a6, overdue a2
    )  # fmt: skip
    # Attendance counts only attendees from those centres: La Raza 6 + Siglo XXI 3.
    rows = table("sessions", "attendance_by_centre", {**ALL, **args}, admin)
    assert [(r["unit"], r["present"]) for r in rows] == [("CMN La Raza", 6), ("CMN Siglo XXI", 3)]


def test_coordinator_sees_only_their_boards(network, coordinator, app):
    assert overview({}, coordinator) == (
        4, 1,  # S1 S2 S3 S4 held, S5 cancelled
        10, 10, 9, 6,  # LL + TR cases (not k9, routed nowhere); examined all but k7
        50.0,  # urgent k1 ✓, k4 ✗
        11, 9,  # r1..r11; patients k1 k2 k3 k4 k11 k12 k13 k14 k15
        2, 2, 1,  # a1 a2 a3 a6
    )  # fmt: skip
    browser = client_for(app, coordinator)
    response = browser.get(f"/reports/overview?period=all&board={network.boards['TJ'].id}")
    assert response.status_code == 422
    assert 'id="board-error"' in response.get_data(as_text=True)
    other = client_for(app, network.tj_coordinator)
    html = other.get("/reports/overview?period=all").get_data(as_text=True)
    assert 'id="figure-submitted"' in html
    assert 'data-value="3"' in html.split('id="figure-submitted"')[1][:400]  # k5 k6 k8


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=all&board=999", "board"),
        ("period=all&centre=abc", "centre"),
        ("period=all&centre=999", "centre"),
        ("period=all&state=Atlantis", "state"),
        ("period=decade", "period"),
        ("period=custom", "from"),
        ("period=custom&from=2026-10-01", "to"),
        ("period=custom&from=2026-10-31&to=2026-10-01", "to"),
        ("period=custom&from=31/10/2026&to=2026-11-01", "from"),
    ],
)
def test_bad_filters_name_their_field(network, admin, app, query, field):
    response = client_for(app, admin).get(f"/reports/overview?{query}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert re.search(rf'<(select|input) class="[^"]*is-invalid[^"]*"[^>]* id="{field}"', html)
    assert 'id="form-errors"' in html
    assert 'id="report-figures"' not in html  # nothing computed


def test_other_coordinators_board_in_csv_is_refused(network, coordinator, app):
    browser = client_for(app, coordinator)
    response = browser.get(
        f"/reports/overview/sessions.csv?period=all&board={network.boards['TJ'].id}"
    )
    assert response.status_code == 422
    assert "text/csv" not in response.content_type
