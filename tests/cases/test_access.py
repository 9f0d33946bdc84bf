"""Who may do what with a case, page by page and endpoint by endpoint.

A case from HGR No. 1 Tijuana, returned to its doctor with a question and holding one PDF,
is tried by six people: its own centre's doctor, a doctor from Cancún, a specialist, a
coordinator, an administrator and someone not logged in. A case the person may not see
answers 404, exactly as a case that does not exist, so its existence never leaks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from telemed.audit.models import AuditEntry
from telemed.auth.models import Role, User
from telemed.cases import service as case_service
from telemed.cases.models import Attachment, Case, CaseStatus
from tests.conftest import (
    PDF_BYTES,
    PNG_BYTES,
    case_payload,
    committed,
    login,
    upload,
    without_csrf,
)

ROLES = ("own_centre", "other_centre", "specialist", "coordinator", "admin", "anonymous")
FIXTURE_FOR_ROLE = {
    "own_centre": "referring",
    "other_centre": "other_referring",
    "specialist": "specialist",
    "coordinator": "coordinator",
    "admin": "admin",
}
LOGGED_IN = ROLES[:-1]
SEES_THE_CASE = {"own_centre", "coordinator", "admin"}
OK = "ok"  # the route does its job (status per route in ROUTES)


def form(**overrides: Any) -> dict[str, Any]:
    data = case_payload(**overrides)
    data["high_complexity"] = "on" if data.pop("high_complexity") else None
    return {k: v for k, v in data.items() if v is not None}


# name: (method, path, request kwargs, success status, what success changes)
ROUTES: dict[str, tuple[str, str, Callable[[], dict[str, Any]], int, str | None]] = {
    "html_list": ("GET", "/cases/", dict, 200, None),
    "html_detail": ("GET", "/cases/{case}", dict, 200, None),
    "html_edit_get": ("GET", "/cases/{case}/edit", dict, 200, None),
    "html_edit_post": (
        "POST", "/cases/{case}/edit", lambda: {"data": form(stage="Riesgo muy alto")}, 302,
        "stage",
    ),
    "html_action": (
        "POST", "/cases/{case}/actions/withdraw",
        lambda: {"data": {"message": "Se atenderá en la UMAE."}}, 302, "status",
    ),
    "html_upload": (
        "POST", "/cases/{case}/attachments",
        lambda: {"data": {"file": upload("rx.png", PNG_BYTES)},
                 "content_type": "multipart/form-data"},
        302, "attachments",
    ),
    "html_download": ("GET", "/cases/{case}/attachments/{attachment}", dict, 200, None),
    "api_list": ("GET", "/api/v1/cases", dict, 200, None),
    "api_detail": ("GET", "/api/v1/cases/{case}", dict, 200, None),
    "api_patch": (
        "PATCH", "/api/v1/cases/{case}", lambda: {"json": {"stage": "Riesgo muy alto"}}, 200,
        "stage",
    ),
    "api_action": (
        "POST", "/api/v1/cases/{case}/actions/withdraw",
        lambda: {"json": {"message": "Se atenderá en la UMAE."}}, 200, "status",
    ),
    "api_upload": (
        "POST", "/api/v1/cases/{case}/attachments",
        lambda: {"data": {"file": upload("rx.png", PNG_BYTES)},
                 "content_type": "multipart/form-data"},
        201, "attachments",
    ),
}  # fmt: skip

# What each logged-in role gets; lists answer everyone but show the case only to some.
H = 404  # hidden: same answer as a case that does not exist
F = 403  # visible, but not this person's step
EXPECTED: dict[str, dict[str, int | str]] = {
    #                 own  other  specialist  coordinator  admin
    "html_list":      dict(zip(LOGGED_IN, (OK, OK, OK, OK, OK), strict=True)),
    "html_detail":    dict(zip(LOGGED_IN, (OK, H, H, OK, OK), strict=True)),
    "html_edit_get":  dict(zip(LOGGED_IN, (OK, H, H, F, F), strict=True)),
    "html_edit_post": dict(zip(LOGGED_IN, (OK, H, H, F, F), strict=True)),
    "html_action":    dict(zip(LOGGED_IN, (OK, H, H, OK, OK), strict=True)),
    "html_upload":    dict(zip(LOGGED_IN, (OK, H, H, OK, OK), strict=True)),
    "html_download":  dict(zip(LOGGED_IN, (OK, H, H, OK, OK), strict=True)),
    "api_list":       dict(zip(LOGGED_IN, (OK, OK, OK, OK, OK), strict=True)),
    "api_detail":     dict(zip(LOGGED_IN, (OK, H, H, OK, OK), strict=True)),
    "api_patch":      dict(zip(LOGGED_IN, (OK, H, H, F, F), strict=True)),
    "api_action":     dict(zip(LOGGED_IN, (OK, H, H, OK, OK), strict=True)),
    "api_upload":     dict(zip(LOGGED_IN, (OK, H, H, OK, OK), strict=True)),
}  # fmt: skip


@pytest.fixture
def returned_case(referring: User, coordinator: User) -> Case:
    case = case_service.create_case(
        referring, case_payload(), submit=True, files=[("biopsia.pdf", PDF_BYTES)]
    )
    case_service.transition(coordinator, case, "return", "¿Cuál es el cariotipo?")
    return committed(case)


def client_as(app: Flask, request: pytest.FixtureRequest, role: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    if role != "anonymous":
        user = request.getfixturevalue(FIXTURE_FOR_ROLE[role])
        assert login(client, user).status_code == 302
    return client


def listed(page: str) -> list[str]:
    """The case codes in the list page's table."""
    return re.findall(r'<a class="case-code" href="/cases/\d+">(CE-\d+)</a>', page)


def state(db: Any, case_id: int) -> dict[str, Any]:
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    return {
        "status": case.status,
        "stage": case.stage,
        "attachments": db.session.scalar(
            select(func.count(Attachment.id)).where(Attachment.case_id == case_id)
        ),
        "audit": db.session.scalar(select(func.count(AuditEntry.id))),
    }


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(role, route, app, request, returned_case, db):
    method, template, kwargs, ok_status, changes = ROUTES[route]
    attachment_id = returned_case.attachments[0].id
    path = template.format(case=returned_case.id, attachment=attachment_id)
    client = client_as(app, request, role)
    before = state(db, returned_case.id)

    response = client.open(path, method=method, **kwargs())
    response.get_data()  # read it all (cached), then release the streamed file
    response.close()
    after = state(db, returned_case.id)

    if role == "anonymous":
        if route.startswith("api_"):
            assert response.status_code == 401
            assert response.is_json
            assert response.get_json()["code"] == 401
        else:
            assert response.status_code == 302
            location = urlsplit(response.headers["Location"])
            assert location.path == "/auth/login"
            assert parse_qs(location.query)["next"] == [path]
        assert after == before
        return

    expected = EXPECTED[route][role]
    if expected == OK:
        assert response.status_code == ok_status, response.get_data(as_text=True)[:500]
        if route == "html_list":
            assert listed(response.get_data(as_text=True)) == (
                ["CE-0001"] if role in SEES_THE_CASE else []
            )
        elif route == "api_list":
            codes = [item["code"] for item in response.get_json()["items"]]
            assert codes == (["CE-0001"] if role in SEES_THE_CASE else [])
        if changes == "stage":
            assert after["stage"] == "Riesgo muy alto"
        elif changes == "status":
            assert after["status"] is CaseStatus.WITHDRAWN
        elif changes == "attachments":
            assert after["attachments"] == before["attachments"] + 1
        if route == "html_download":
            assert response.data == PDF_BYTES
        return

    assert response.status_code == expected
    body = response.get_data(as_text=True)
    if route.startswith("api_"):
        assert response.is_json and response.get_json()["code"] == expected
    else:
        assert response.mimetype == "text/html"
    if expected == H:
        assert "CE-0001" not in body
        assert "4455667788" not in body and "biopsia" not in body
    assert after == before  # nothing changed, not even the audit log


@pytest.mark.parametrize("role", ["other_centre", "specialist"])
def test_hidden_case_answers_exactly_like_a_missing_one(role, app, request, returned_case):
    client = client_as(app, request, role)
    attachment_id = returned_case.attachments[0].id
    for hidden, missing in [
        (f"/cases/{returned_case.id}", "/cases/999"),
        (f"/cases/{returned_case.id}/attachments/{attachment_id}", "/cases/999/attachments/1"),
        (f"/api/v1/cases/{returned_case.id}", "/api/v1/cases/999"),
    ]:
        a, b = client.get(hidden), client.get(missing)
        assert (a.status_code, b.status_code) == (404, 404)
        # the page echoes its own address (language switcher) and signs a fresh CSRF token
        # (with a timestamp in seconds); otherwise identical
        assert without_csrf(a.get_data(as_text=True).replace(hidden, missing)) == without_csrf(
            b.get_data(as_text=True)
        )


def test_other_centres_doctor_never_sees_the_case_in_any_list(
    app, request, returned_case, make_case, db
):
    make_case()  # a second Tijuana case
    client = client_as(app, request, "other_centre")
    for query in ("", "?q=CE-0001", "?status=returned", f"?centre_id={returned_case.centre_id}",
                  "?per_page=100"):  # fmt: skip
        assert listed(client.get(f"/cases/{query}").get_data(as_text=True)) == [], query
        body = client.get(f"/api/v1/cases{query}").get_json()
        assert body["items"] == [] and body["total"] == 0, query


def test_a_colleague_at_the_same_centre_sees_and_acts_on_the_case(
    app, returned_case, make_user, centre, db
):
    colleague = make_user(Role.REFERRING, centre_id=centre.id)
    client = app.test_client()
    login(client, colleague)
    assert client.get(f"/cases/{returned_case.id}").status_code == 200
    body = client.get("/api/v1/cases").get_json()
    assert [item["code"] for item in body["items"]] == ["CE-0001"]


def test_specialists_see_no_cases_for_now(app, request, make_case, make_user, other_centre, db):
    make_case()
    make_case(urgency="urgent", urgency_justification="Compresión medular.")
    cancun = make_user(Role.REFERRING, centre_id=other_centre.id)
    case_service.create_case(cancun, case_payload(), submit=True)
    client = client_as(app, request, "specialist")
    assert listed(client.get("/cases/").get_data(as_text=True)) == []
    body = client.get("/api/v1/cases").get_json()
    assert (body["items"], body["total"]) == ([], 0)
    for case_id in (1, 2, 3):
        assert client.get(f"/api/v1/cases/{case_id}").status_code == 404


def test_staff_see_every_centres_cases(app, request, make_case, make_user, other_centre, db):
    make_case()
    cancun = make_user(Role.REFERRING, centre_id=other_centre.id)
    case_service.create_case(cancun, case_payload(), submit=True)
    for role in ("coordinator", "admin"):
        body = client_as(app, request, role).get("/api/v1/cases").get_json()
        assert sorted(item["code"] for item in body["items"]) == ["CE-0001", "CE-0002"], role


def test_viewing_a_case_is_audited_but_a_refused_view_is_not(
    app, request, returned_case, coordinator, db
):
    def views() -> list[int | None]:
        return list(db.session.scalars(
            select(AuditEntry.actor_id).where(AuditEntry.action == "case.view")))  # fmt: skip

    client_as(app, request, "other_centre").get(f"/cases/{returned_case.id}")
    assert views() == []
    client_as(app, request, "coordinator").get(f"/api/v1/cases/{returned_case.id}")
    assert views() == [coordinator.id]
