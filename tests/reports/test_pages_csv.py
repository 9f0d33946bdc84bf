"""CSV downloads hold the rows the page shows (all of them for long tables), with the same
filters; only administrators and coordinators reach the dashboard."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from telemed.audit.models import AuditEntry
from telemed.auth.models import Role
from telemed.boards.models import SessionKind
from telemed.extensions import db
from telemed.reports.service import VIEW_NAMES
from telemed.room.models import Attendance, AttendanceRole, Recommendation
from telemed.sessions.models import SessionStatus
from tests.conftest import client_for
from tests.reports.conftest import csv_rows, page_table
from tests.reports.dataset import add_session


@pytest.mark.parametrize(
    ("view", "name", "query"),
    [
        ("cases", "by_centre", "period=all"),
        ("cases", "by_status", "period=custom&from=2026-10-01&to=2026-10-31"),
        ("referrals", "referred_to_hito", "period=all"),
        ("referrals", "by_referring_centre", "period=all&state=Ciudad+de+M%C3%A9xico"),
        ("sessions", "attendance_by_centre", "period=all"),
        ("turnaround", "turnaround_by_month", "period=all"),
        ("outcomes", "adherence", "period=all"),
        ("outcomes", "agreements", "period=all&board={TJ}"),
    ],
)
def test_csv_rows_equal_page_rows(network, admin, app, view, name, query):
    query = query.replace("{TJ}", str(network.boards["TJ"].id))
    browser = client_for(app, admin)
    page = browser.get(f"/reports/{view}?{query}")
    assert page.status_code == 200
    shown = page_table(page.get_data(as_text=True), name)
    download = browser.get(f"/reports/{view}/{name}.csv?{query}")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    _, rows = csv_rows(download.data)
    # The page writes 7 and 0 where the CSV has 7.0 and 0.0: compare numbers as numbers.
    assert normal(rows) == normal(shown) and rows
    assert "NSS-" not in download.get_data(as_text=True)


def normal(rows):
    def cell(value):
        try:
            return round(float(value), 1)
        except ValueError:
            return value

    return [[cell(value) for value in row] for row in rows]


def test_hito_csv(network, admin, app):
    download = client_for(app, admin).get("/reports/referrals/referred_to_hito.csv?period=all")
    header, rows = csv_rows(download.data)
    assert header == ["Referring centre", "Patients"]
    assert rows == [["CMN La Raza", "5"], ["CMN Siglo XXI", "4"], ["Total", "9"]]


FORMULAS = ['=HYPERLINK("http://evil.example/","click")', "+1+1", "-2+3", "@SUM(A1)",
            "\tcmd", "\rcmd"]  # fmt: skip


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_typed_by_a_doctor_reaches_the_csv_as_text(network, admin, app, formula):
    reason = db.session.scalars(
        select(Recommendation).where(Recommendation.adherence_reason == "Pendiente estudio HLA")
    ).one()
    reason.adherence_reason = formula
    db.session.commit()
    download = client_for(app, admin).get("/reports/outcomes/adherence_reasons.csv?period=all")
    cells = [cell for row in csv_rows(download.data)[1] for cell in row]
    assert "'" + formula in cells
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)


def test_a_download_is_audited(network, admin, app):
    client_for(app, admin).get("/reports/referrals/referred_to_hito.csv?period=all")
    [export] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.export"))
    assert export.actor_id == admin.id and export.ip_address == "127.0.0.1"
    assert export.details == {"view": "referrals", "table": "referred_to_hito", "period": "all",
                              "rows": 3}  # fmt: skip


def test_long_table_is_cut_on_the_page_and_whole_in_the_csv(clock, make_board, admin, app):
    clock.set(datetime(2026, 12, 15, 18, 0, tzinfo=UTC))
    board = make_board()
    first = datetime(2026, 6, 4, 0, 0, tzinfo=UTC)
    for n in range(27):  # 27 held sessions, one person present in each
        session = add_session(board, n + 1, SessionKind.CASE_REVIEW, SessionStatus.HELD,
                              first + timedelta(days=7 * n), 6)  # fmt: skip
        db.session.flush()
        db.session.add(Attendance(session_id=session.id, name="Dra. X", unit="CMN La Raza",
                                  role=AttendanceRole.MEMBER, present=True))  # fmt: skip
    db.session.commit()
    browser = client_for(app, admin)
    html = browser.get("/reports/sessions?period=all").get_data(as_text=True)
    shown = page_table(html, "attendance_by_session")
    assert len(shown) == 25
    assert "Showing the first 25 rows; the CSV has them all." in html
    _, rows = csv_rows(browser.get("/reports/sessions/attendance_by_session.csv?period=all").data)
    assert len(rows) == 27
    assert rows[:25] == shown
    assert [row[2] for row in rows[25:]] == ["2", "1"]  # the two oldest sessions


@pytest.mark.parametrize("role", [Role.REFERRING, Role.SPECIALIST])
def test_clinicians_are_refused(network, app, make_user, role):
    browser = client_for(app, make_user(role, centre_id=network.centres["RAZA"].id))
    for view in VIEW_NAMES:
        assert browser.get(f"/reports/{view}?period=all").status_code == 403
    assert browser.get("/reports/cases/by_centre.csv?period=all").status_code == 403
    assert browser.get("/reports/referrals/referred_to_hito.csv?period=all").status_code == 403


def test_anonymous_is_sent_to_login(network, app):
    browser = client_for(app)
    for url in ("/reports/overview?period=all", "/reports/cases/by_centre.csv?period=all"):
        response = browser.get(url)
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]


def test_the_dashboard_address_keeps_its_filters(admin, app):
    browser = client_for(app, admin)
    for query, target in [
        ("period=all&state=Jalisco", "/reports/overview?period=all&state=Jalisco"),
        # ``view`` and ``url_for``'s own options are not filters (they made a 500).
        ("view=cases&period=all", "/reports/overview?period=all"),
        ("_method=POST&_external=1", "/reports/overview"),
    ]:
        response = browser.get(f"/reports/?{query}")
        assert response.status_code == 302, query
        assert response.headers["Location"] == target


def test_administrator_sees_every_view(network, admin, app):
    browser = client_for(app, admin)
    for view in VIEW_NAMES:
        response = browser.get(f"/reports/{view}?period=all")
        assert response.status_code == 200, view
        assert 'id="report-figures"' in response.get_data(as_text=True)


def test_charts_draw_the_numbers_of_their_tables(network, admin, app):
    browser = client_for(app, admin)
    html = browser.get("/reports/cases?period=all").get_data(as_text=True)
    chart = chart_data(html, "cases_by_state")
    states = page_table(html, "by_state")
    assert chart["labels"] == [row[0] for row in states]
    assert chart["datasets"][0]["data"] == [int(row[1]) for row in states]

    html = browser.get("/reports/turnaround?period=all").get_data(as_text=True)
    chart = chart_data(html, "turnaround_over_time")
    months = page_table(html, "turnaround_by_month")
    medians = [float(row[2]) if row[2] else None for row in months]
    assert chart["datasets"][0]["data"] == medians and len(chart["labels"]) == len(months)


def chart_data(html: str, name: str) -> dict:
    figure = html.split(f'id="chart-{name}"')[1]
    raw = re.search(r'data-chart="([^"]*)"', figure).group(1)
    return json.loads(unescape(raw))
