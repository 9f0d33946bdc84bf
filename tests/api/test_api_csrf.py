"""The API under a browser session: a changing request needs the page's CSRF token.

A logged-in browser sends its session cookie with any request, including one another
site's page makes (a bodiless POST needs no CORS preflight). So a POST, PUT, PATCH or
DELETE to ``/api/`` authenticated by the cookie must carry ``X-CSRFToken`` (the page's
``<meta name="csrf-token">``) or is refused with a JSON 400 and changes nothing; a request
with a bearer token cannot be forged by another site and needs none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from telemed.auth import tokens
from telemed.cases.models import Case, CaseStatus
from telemed.extensions import db
from telemed.sessions.models import BoardSession, SessionStatus
from tests.conftest import client_for, committed

EVIL = {"Origin": "http://evil.example"}


@pytest.fixture
def csrf_on(app: Flask) -> Iterator[None]:
    """Form tokens required, as in production (the test settings turn them off)."""
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def page_token(browser: FlaskClient) -> str:
    page = browser.get("/cases/").get_data(as_text=True)
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert found, "base.html carries the token for the page's scripts"
    return found.group(1)


def assert_refused(response: Any) -> None:
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert "X-CSRFToken" in response.get_json()["message"]


def status_of(case: Case) -> CaseStatus:
    db.session.expire_all()
    return db.session.get(Case, case.id).status


def test_a_cookie_request_without_the_token_changes_nothing(app, referring, make_case):
    draft = make_case(submit=False)
    browser = client_for(app, referring)  # logged in before tokens are required
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert_refused(browser.post(f"/api/v1/cases/{draft.id}/actions/submit", headers=EVIL))
        assert_refused(browser.post(f"/api/v1/cases/{draft.id}/actions/submit", json={}))
        assert_refused(browser.patch(f"/api/v1/cases/{draft.id}", json={"stage": "IV"},
                                     headers={"X-CSRFToken": "forged"}))  # fmt: skip
        assert status_of(draft) is CaseStatus.DRAFT

        token = page_token(browser)
        sent = browser.post(f"/api/v1/cases/{draft.id}/actions/submit",
                            headers={"X-CSRFToken": token})  # fmt: skip
        assert sent.status_code == 200, sent.get_json()
        assert status_of(draft) is CaseStatus.SUBMITTED
        assert browser.get(f"/api/v1/cases/{draft.id}").status_code == 200  # reads need none
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_bodiless_coordinator_actions_need_the_token(app, coordinator, held, csrf_on):
    app.config["WTF_CSRF_ENABLED"] = False
    browser = client_for(app, coordinator)
    app.config["WTF_CSRF_ENABLED"] = True
    coming = db.session.scalars(
        db.select(BoardSession).where(BoardSession.status == SessionStatus.PLANNED)
    ).first()
    agreement = held.agreements["general"]
    for path in (f"/api/v1/sessions/{held.session.id}/minutes/finalise",
                 f"/api/v1/sessions/{coming.id}/cancel", "/api/v1/assignments",
                 f"/api/v1/agreements/{agreement.id}/done"):  # fmt: skip
        assert_refused(browser.post(path, headers=EVIL))
    db.session.expire_all()
    assert db.session.get(BoardSession, held.session.id).minutes_final_at is None
    assert db.session.get(BoardSession, coming.id).status is SessionStatus.PLANNED
    assert agreement.done_at is None


def test_a_bearer_token_needs_no_csrf_token(app, referring, make_case, csrf_on):
    draft = make_case(submit=False)
    secret = committed(tokens.create_token(referring, "script"))[1]
    program = app.test_client()
    response = program.post(f"/api/v1/cases/{draft.id}/actions/submit",
                            headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
    assert response.status_code == 200
    assert status_of(draft) is CaseStatus.SUBMITTED
