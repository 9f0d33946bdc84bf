"""Errors people and programs can read: JSON bodies under ``/api``, pages elsewhere.

Every API error is ``{"code", "status", "message"}`` (plus ``"errors"`` for 422); no
traceback ever reaches anyone, and a failure half-way writes nothing.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from telemed.audit.models import AuditEntry
from telemed.cases import service as case_service
from telemed.cases import views as case_views
from telemed.cases.models import Case, CaseEvent, CaseStatus
from tests.conftest import PDF_BYTES, case_payload, client_for


def counts(db: Any) -> tuple[int, int, int]:
    db.session.expire_all()
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count(model.id))) for model in (Case, CaseEvent, AuditEntry)
    )


def assert_json_error(response: Any, code: int) -> dict[str, Any]:
    assert response.status_code == code
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] == code
    assert isinstance(body["status"], str) and body["status"]
    assert isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/cases"),
        ("POST", "/api/v1/cases"),
        ("GET", "/api/v1/cases/1"),
        ("PATCH", "/api/v1/cases/1"),
        ("POST", "/api/v1/cases/1/actions/submit"),
        ("POST", "/api/v1/cases/1/attachments"),
        ("GET", "/api/v1/centres"),
        ("GET", "/api/v1/me"),
    ],
)
def test_unauthenticated_api_calls_get_a_401_json(method, path, app, make_case, db):
    make_case()
    before = counts(db)
    response = client_for(app, None).open(path, method=method, json={})
    body = assert_json_error(response, 401)
    assert body["message"] == "Log in or send a valid API token."
    assert "Location" not in response.headers  # a program is not redirected to a login form
    assert counts(db) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/v1/cases/1"),
        ("PUT", "/api/v1/cases/1"),
        ("DELETE", "/api/v1/cases"),
        ("GET", "/api/v1/cases/1/actions/accept"),
        ("POST", "/api/v1/me"),
    ],
)
def test_wrong_method_is_a_405_json(method, path, app, make_case, coordinator, db):
    make_case()
    client = client_for(app, coordinator)
    before = counts(db)
    response = client.open(path, method=method, json={})
    assert_json_error(response, 405)
    assert response.headers.get("Allow")
    assert counts(db) == before


def test_unknown_case_or_address_is_a_404_json(app, referring, db):
    client = client_for(app, referring)
    for path in ("/api/v1/cases/999", "/api/v1/cases/999/actions/submit", "/api/v1/nothing"):
        method = "POST" if "actions" in path else "GET"
        assert_json_error(client.open(path, method=method, json={}), 404)
    response = client.patch("/api/v1/cases/999", json={"stage": "I"})
    assert_json_error(response, 404)


def test_validation_errors_are_a_422_json_with_fields(app, referring, db):
    response = client_for(app, referring).post("/api/v1/cases", json={"age_years": "siete"})
    body = assert_json_error(response, 422)
    assert body["errors"]["age_years"] == ["Enter a whole number."]


def test_an_over_large_upload_is_a_413_json(app, make_case, referring, monkeypatch, db):
    case = make_case()
    client = client_for(app, referring)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    before = counts(db)
    response = client.post(
        f"/api/v1/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(PDF_BYTES + bytes(4096)), "tac.pdf")},
        content_type="multipart/form-data",
    )
    body = assert_json_error(response, 413)
    assert body["message"] == "The upload is too large."
    assert counts(db) == before


def test_an_over_large_form_is_a_readable_413_page(app, make_case, referring, monkeypatch, db):
    case = make_case()
    client = client_for(app, referring)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = client.post(
        f"/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(PDF_BYTES + bytes(4096)), "tac.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "The upload is too large." in response.get_data(as_text=True)


def test_an_unexpected_failure_in_the_api_is_a_500_json_and_writes_nothing(
    app, referring, monkeypatch, db
):
    """The case row, its event and its audit entry are already flushed when it fails."""

    def broken(case: Case) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(case_service, "check_complete", broken)
    client = client_for(app, referring)
    before = counts(db)
    response = client.post("/api/v1/cases", json=case_payload())
    body = assert_json_error(response, 500)
    assert "Nothing was saved" in body["message"]
    assert "disk on fire" not in response.get_data(as_text=True)
    assert counts(db) == before


def test_an_unexpected_failure_during_a_step_leaves_the_case_as_it_was(
    app, make_case, coordinator, monkeypatch, db
):
    case = make_case()
    client = client_for(app, coordinator)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit store unavailable")

    # fails after the status has changed and the timeline event was added
    monkeypatch.setattr(case_service.audit, "record", broken)
    before = counts(db)
    response = client.post(f"/api/v1/cases/{case.id}/actions/accept")
    assert_json_error(response, 500)
    assert counts(db) == before
    db.session.expire_all()
    assert db.session.get(Case, case.id).status is CaseStatus.SUBMITTED


# --- pages for people -------------------------------------------------------------------


def test_404_is_a_readable_page(app, referring, db):
    for client in (client_for(app, None), client_for(app, referring)):
        response = client.get("/no-such-page")
        assert response.status_code == 404
        assert response.mimetype == "text/html"
        page = response.get_data(as_text=True)
        assert "We could not find what you were looking for." in page
        assert "Error 404" in page
        assert 'href="/"' in page  # a way back
        assert "Traceback" not in page and "werkzeug" not in page.lower()


def test_404_page_for_a_missing_case_when_logged_in(app, referring, db):
    response = client_for(app, referring).get("/cases/4242")
    assert response.status_code == 404
    assert "We could not find what you were looking for." in response.get_data(as_text=True)


def test_405_is_a_readable_page(app, referring, db):
    response = client_for(app, referring).delete("/cases/")
    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert "This action is not allowed here." in response.get_data(as_text=True)
    assert response.headers.get("Allow")


def test_500_on_a_page_is_readable_and_hides_the_cause(app, referring, monkeypatch, db):
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("connection reset by peer at 10.0.0.7")

    monkeypatch.setattr(case_views, "case_page", broken)
    response = client_for(app, referring).get("/cases/")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side." in page
    assert "10.0.0.7" not in page and "Traceback" not in page


def test_error_pages_speak_spanish_by_default(app, db):
    client = app.test_client()
    page = client.get("/no-such-page", headers={"Accept-Language": "es-MX"}).get_data(as_text=True)
    assert '<html lang="es' in page
