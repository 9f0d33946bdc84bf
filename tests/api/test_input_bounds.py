"""Numbers and dates out of range are the caller's mistake, never a server error.

Ids in addresses beyond the database's INTEGER (2^31-1) answer 404, as an id naming nothing
does, on the pages and the API; out-of-range filters and body fields answer 422 naming the
field (API) or a readable page (web); nothing reaches the database to overflow there
(PostgreSQL refuses an int8 overflow, SQLite's driver raises past 2^63) or date arithmetic
past 9999-12-31. A NUL character in text, which PostgreSQL's text refuses, is a 422 too.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from telemed.cases.models import CaseStatus
from tests.conftest import client_for

HUGE = "99999999999999999999"  # 20 digits: past 2^63
JUST_PAST = str(2**31)  # one past the largest id PostgreSQL's INTEGER holds


def errors_of(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    return response.get_json()["errors"]


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/cases/{HUGE}", f"/api/v1/cases/{JUST_PAST}", f"/api/v1/boards/{HUGE}",
        f"/api/v1/sessions/{HUGE}", f"/api/v1/sessions/{JUST_PAST}/attendance",
        f"/api/v1/referrals/{HUGE}", f"/cases/1/attachments/{HUGE}",
        f"/cases/{HUGE}", f"/cases/{JUST_PAST}", f"/sessions/{HUGE}",
    ],
)  # fmt: skip
def test_an_id_beyond_the_database_is_not_found(app: Flask, coordinator, make_case, path):
    make_case()
    response = client_for(app, coordinator).get(path)
    assert response.status_code == 404
    if path.startswith("/api/"):
        assert response.get_json()["code"] == 404


def test_an_id_beyond_the_database_in_an_action_is_not_found(app: Flask, coordinator):
    browser = client_for(app, coordinator)
    assert browser.post(f"/api/v1/cases/{HUGE}/actions/accept").status_code == 404
    assert browser.post(f"/api/v1/sessions/{HUGE}/minutes/finalise").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"/api/v1/cases?page={HUGE}", "page"),
        ("/api/v1/cases?page=100001", "page"),
        (f"/api/v1/cases?centre_id={HUGE}", "centre_id"),
        ("/api/v1/cases?date_to=9999-12-31", "date_to"),
        ("/api/v1/cases?date_from=0001-01-01", "date_from"),
        ("/api/v1/sessions?to=9999-12-31", "to"),
        (f"/api/v1/sessions?board_id={HUGE}", "board_id"),
        (f"/api/v1/agreements?session_id={HUGE}", "session_id"),
        (f"/api/v1/referrals?page={HUGE}", "page"),
        (f"/api/v1/referrals/suggestions?case_id={HUGE}", "case_id"),
        ("/api/v1/stats?period=custom&from=2026-01-01&to=9999-12-31", "to"),
        (f"/api/v1/stats?board={HUGE}", "board"),
        (f"/api/v1/stats?centre={HUGE}", "centre"),
    ],
)
def test_api_filters_out_of_range_are_a_422_naming_the_field(
    app: Flask, admin, make_case, query, field
):
    make_case()
    assert field in errors_of(client_for(app, admin).get(query))


def test_api_body_ids_out_of_range_are_a_422_naming_the_field(app: Flask, coordinator, agenda):
    browser = client_for(app, coordinator)
    placed = browser.post(f"/api/v1/sessions/{agenda.id}/agenda", json={"case_id": 2**63})
    assert "case_id" in errors_of(placed)
    ordered = browser.post(f"/api/v1/sessions/{agenda.id}/agenda/order",
                           json={"item_ids": [1, int(HUGE)]})  # fmt: skip
    assert "item_ids.1" in errors_of(ordered)
    agreement = browser.post("/api/v1/agreements", json={
        "session_id": int(HUGE), "text": "Revisar", "due_date": "2026-03-20",
    })  # fmt: skip
    assert "session_id" in errors_of(agreement)
    referral = browser.post("/api/v1/referrals", json={
        "recommendation_id": int(HUGE), "to_centre_id": 1, "reason": "Radioterapia",
    })  # fmt: skip
    assert "recommendation_id" in errors_of(referral)
    moved = browser.post(f"/api/v1/sessions/{agenda.id}/move",
                         json={"starts_at_local": "9999-12-31T23:00"})  # fmt: skip
    assert "starts_at_local" in errors_of(moved)


def test_text_with_a_nul_character_is_a_422(app: Flask, referring, make_case):
    draft = make_case(submit=False)
    response = client_for(app, referring).patch(
        f"/api/v1/cases/{draft.id}", json={"diagnosis_text": "Leucemia\x00aguda"}
    )
    assert "diagnosis_text" in errors_of(response)


def test_a_case_number_longer_than_an_id_finds_nothing(app: Flask, coordinator, make_case):
    make_case()
    response = client_for(app, coordinator).get(f"/api/v1/cases?q={HUGE}")
    assert response.status_code == 200
    assert response.get_json()["items"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/cases/?date_to=9999-12-31",
        f"/cases/?page={HUGE}",
        f"/cases/?q={HUGE}",
        "/admin/audit/?date_to=9999-12-31",
        f"/admin/audit/?object_id={HUGE}",
        f"/admin/audit/?page={HUGE}",
        "/reports/overview?period=custom&from=2026-01-01&to=9999-12-31",
        f"/reports/overview?centre={HUGE}",
        f"/reports/overview?board={HUGE}",
        "/reports/overview?centre=²",
        f"/admin/users/?page={HUGE}",
    ],
)
def test_web_filters_out_of_range_answer_a_readable_page(app: Flask, admin, make_case, path):
    make_case()
    response = client_for(app, admin).get(path)
    assert response.status_code in (200, 422), response.status_code
    assert response.mimetype == "text/html"
    if response.status_code == 422:
        page = response.get_data(as_text=True)
        assert any(
            hint in page
            for hint in ("Enter a whole number from", "years 1900 and 2100", "Choose an option")
        )  # says what to correct


def test_a_form_id_out_of_range_is_refused_not_a_500(app: Flask, coordinator, agenda):
    browser = client_for(app, coordinator)
    response = browser.post(f"/sessions/{agenda.id}/place", data={"case_id": HUGE})
    assert response.status_code == 302  # back to the session, with the refusal flashed
    item = agenda.pending_items[0]
    moved = browser.post(f"/agenda/{item.id}/transfer", data={"session_id": HUGE})
    assert moved.status_code < 500


def test_the_limits_themselves_are_accepted(app: Flask, coordinator, make_case):
    case = make_case()
    browser = client_for(app, coordinator)
    listed = browser.get("/api/v1/cases?page=100000&date_from=1900-01-01&date_to=2100-12-31")
    assert listed.status_code == 200 and listed.get_json()["items"] == []
    assert browser.get("/api/v1/cases/2147483647").status_code == 404  # in range, no such case
    assert browser.get(f"/api/v1/cases/{case.id}").get_json()["status"] == CaseStatus.SUBMITTED
