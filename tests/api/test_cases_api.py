"""A hospital's system sends and follows cases through ``/api/v1``.

Everything the web form does is possible with JSON: create (submitted or draft), read,
list, edit, move through the lifecycle, attach files. Bad input is answered with every
field that needs correcting and nothing is written.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from telemed.audit.models import AuditEntry
from telemed.auth import tokens
from telemed.auth.models import User
from telemed.cases.models import Case, CaseStatus
from tests.conftest import PDF_BYTES, case_payload, client_for, committed


def bearer_client(app: Flask, user: User) -> FlaskClient:
    """A program with a personal token and no session cookie."""
    _, secret = committed(tokens.create_token(user, "Sistema del hospital"))
    client = app.test_client(use_cookies=False)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def counts(db: Any) -> tuple[int, int]:
    """Cases and audit rows: what a refused request must not add to."""
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count(Case.id))),
        db.session.scalar(select(func.count(AuditEntry.id))),
    )


DETAIL_KEYS = {
    "id", "code", "status", "patient_reference", "patient_reference_masked", "age_years",
    "age_months", "sex", "icd10_code", "diagnosis_text", "stage", "current_treatment",
    "question", "request_kind", "urgency", "urgency_justification", "clinical_deadline",
    "high_complexity", "specialty", "centre", "submitted_by", "attachments", "timeline",
    "created_at", "submitted_at", "updated_at", "actions",
}  # fmt: skip
SUMMARY_KEYS = {
    "id", "code", "status", "patient_reference_masked", "diagnosis_text", "icd10_code",
    "urgency", "specialty", "request_kind", "high_complexity", "clinical_deadline", "centre",
    "created_at", "submitted_at",
}  # fmt: skip


def test_posting_json_submits_a_case(app, referring, db):
    client = client_for(app, referring)
    response = client.post("/api/v1/cases", json=case_payload(clinical_deadline="2026-03-20"))
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == DETAIL_KEYS
    assert body["code"] == "CE-0001"
    assert body["status"] == "submitted"
    assert body["submitted_at"] == "2026-03-02T17:00:00+00:00"
    assert body["clinical_deadline"] == "2026-03-20"
    assert body["centre"] == {"id": referring.centre_id, "code": "OC-BC-TIJ",
                              "name": "HGR No. 1 Tijuana", "state": "Baja California"}  # fmt: skip
    assert body["submitted_by"] == referring.name
    assert body["patient_reference"] == "NSS-4455667788"
    assert body["actions"] == ["withdraw"]
    assert [e["kind"] for e in body["timeline"]] == ["created", "submit"]

    case = db.session.scalars(select(Case)).one()
    assert case.status is CaseStatus.SUBMITTED
    assert case.centre_id == referring.centre_id
    assert case.high_complexity is True


def test_draft_true_saves_an_incomplete_draft(app, referring, db):
    client = client_for(app, referring)
    response = client.post(
        "/api/v1/cases", json={"patient_reference": "EXP-2026/113", "draft": True}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["status"], body["submitted_at"], body["question"]) == ("draft", None, None)
    assert body["actions"] == ["submit", "withdraw"]
    assert db.session.scalars(select(Case)).one().status is CaseStatus.DRAFT


def test_bad_input_names_every_field_and_writes_nothing(app, referring, db):
    client = client_for(app, referring)
    before = counts(db)
    response = client.post(
        "/api/v1/cases",
        json=case_payload(
            patient_reference="<script>", age_years=-1, age_months=14, sex="niña",
            icd10_code="leucemia", diagnosis_text="LL", question="¿?", urgency="urgent",
            clinical_deadline="2026-02-30", specialty=None, request_kind="consulta",
        ),
    )  # fmt: skip
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422
    assert body["message"]
    assert set(body["errors"]) == {
        "patient_reference", "age_years", "age_months", "sex", "icd10_code",
        "diagnosis_text", "question", "urgency_justification", "clinical_deadline",
        "specialty", "request_kind",
    }  # fmt: skip
    for field, messages in body["errors"].items():
        assert messages and all(isinstance(m, str) and m for m in messages), field
    assert "C91.0" in body["errors"]["icd10_code"][0]  # says what a good value looks like
    assert counts(db) == before


def test_missing_required_fields_are_each_named(app, referring, db):
    response = client_for(app, referring).post("/api/v1/cases", json={})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {
        "patient_reference", "age_years", "sex", "icd10_code", "diagnosis_text", "question",
        "request_kind", "specialty",
    }  # fmt: skip


def test_unknown_field_is_named(app, referring, db):
    client = client_for(app, referring)
    before = counts(db)
    response = client.post("/api/v1/cases", json=case_payload(nombre_paciente="María"))
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["nombre_paciente"]
    response = client.post("/api/v1/cases", json=case_payload(draft="a veces"))
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["draft"]
    assert counts(db) == before


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("patient_reference=NSS-1&age_years=7", "application/x-www-form-urlencoded"),
        ('{"patient_reference": "NSS-1",', "application/json"),
        ('["NSS-1"]', "application/json"),
        ("NSS-1", "text/plain"),
    ],
    ids=["form", "broken-json", "json-array", "text"],
)
def test_a_body_that_is_not_a_json_object_is_a_400(data, content_type, app, referring, db):
    client = client_for(app, referring)
    before = counts(db)
    response = client.post("/api/v1/cases", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.is_json
    body = response.get_json()
    assert body["code"] == 400 and body["message"]
    assert counts(db) == before


def test_only_referring_doctors_send_cases(app, coordinator, specialist, db):
    for user in (coordinator, specialist):
        response = client_for(app, user).post("/api/v1/cases", json=case_payload())
        assert response.status_code == 403
        assert "referring doctors" in response.get_json()["message"]
    assert counts(db)[0] == 0


def test_list_and_detail_shapes(app, make_case, referring, db):
    make_case(submit=False)
    make_case()
    client = client_for(app, referring)
    body = client.get("/api/v1/cases").get_json()
    assert set(body) == {"items", "page", "per_page", "next", "total", "total_exact"}
    assert (body["page"], body["per_page"], body["next"]) == (1, 25, None)
    assert (body["total"], body["total_exact"]) == (2, True)
    assert [item["code"] for item in body["items"]] == ["CE-0002", "CE-0001"]
    for item in body["items"]:
        assert set(item) == SUMMARY_KEYS

    detail = client.get("/api/v1/cases/2").get_json()
    assert set(detail) == DETAIL_KEYS
    assert detail["timeline"][0] == {
        "at": "2026-03-02T17:00:00+00:00", "kind": "created", "from_status": None,
        "to_status": "draft", "message": None, "actor": referring.name,
    }  # fmt: skip


def test_patch_changes_only_the_fields_sent(app, make_case, referring, db):
    case = make_case(submit=False)
    client = client_for(app, referring)
    response = client.patch(
        f"/api/v1/cases/{case.id}", json={"stage": "Riesgo muy alto", "age_months": 5}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["stage"], body["age_months"], body["age_years"]) == ("Riesgo muy alto", 5, 7)
    assert body["urgency"] == "priority"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.update")).one()
    assert entry.details["fields"] == ["age_months", "stage"]
    assert "4455667788" not in str(entry.details)  # the audit log never holds the reference

    before = counts(db)
    response = client.patch(f"/api/v1/cases/{case.id}", json={"icd10_code": "c91", "x": 1})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"icd10_code", "x"}
    response = client.patch(f"/api/v1/cases/{case.id}", data="stage=I", content_type="text/plain")
    assert response.status_code == 400 and response.is_json
    assert counts(db) == before
    db.session.expire_all()
    assert db.session.get(Case, case.id).icd10_code == "C91.0"


def test_actions_through_the_api(app, make_case, referring, coordinator, db):
    case = make_case()
    board = client_for(app, coordinator)
    response = board.post(f"/api/v1/cases/{case.id}/actions/accept")  # no body is fine
    assert response.status_code == 200
    assert response.get_json()["status"] == "accepted"
    assert response.get_json()["actions"] == ["withdraw", "close"]
    response = board.post(f"/api/v1/cases/{case.id}/actions/accept", json={})
    assert response.status_code == 409
    assert response.get_json()["status"] == "Conflict"
    assert "accepted" in response.get_json()["message"]


def test_attachments_through_the_api_appear_in_the_detail(app, make_case, referring, db):
    case = make_case()
    client = client_for(app, referring)
    response = client.post(
        f"/api/v1/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(PDF_BYTES), "inmunofenotipo.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    [attachment] = client.get(f"/api/v1/cases/{case.id}").get_json()["attachments"]
    assert set(attachment) == {"id", "filename", "content_type", "size", "material",
                               "uploaded_at", "download_url"}  # fmt: skip
    assert attachment["material"] is None
    assert attachment["filename"] == "inmunofenotipo.pdf"
    assert attachment["uploaded_at"] == "2026-03-02T17:00:00+00:00"


# --- personal tokens --------------------------------------------------------------------


def test_bearer_token_works_for_the_api(app, referring, db):
    client = bearer_client(app, referring)
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.get_json()["email"] == referring.email
    assert me.get_json()["centre"] == "OC-BC-TIJ"
    assert me.get_json()["timezone"] == "America/Tijuana"

    response = client.post("/api/v1/cases", json=case_payload())
    assert response.status_code == 201
    case_id = response.get_json()["id"]
    assert client.get(f"/api/v1/cases/{case_id}").status_code == 200
    response = client.post(f"/api/v1/cases/{case_id}/actions/withdraw", json={"message": "Dup."})
    assert response.get_json()["status"] == "withdrawn"
    assert client.get("/api/v1/centres").status_code == 200
    # the token is not a way into the web pages' session
    assert "session" not in (client.get("/api/v1/me").headers.get("Set-Cookie") or "")


def test_a_token_sees_what_its_owner_sees(app, make_case, other_referring, db):
    case = make_case()
    client = bearer_client(app, other_referring)
    assert client.get(f"/api/v1/cases/{case.id}").status_code == 404
    assert client.get("/api/v1/cases").get_json()["total"] == 0


@pytest.mark.parametrize("header", ["Bearer tm_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz"])
def test_a_bad_token_is_a_401(header, app, referring, db):
    client = app.test_client(use_cookies=False)
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.is_json and response.get_json()["code"] == 401


def test_a_revoked_token_stops_working(app, referring, db):
    token, secret = committed(tokens.create_token(referring, "viejo"))
    client = app.test_client(use_cookies=False)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    committed(tokens.revoke_token(referring, token.id))
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_token_of_a_deactivated_user_stops_working(app, referring, db):
    _, secret = committed(tokens.create_token(referring, "script"))
    referring.active = False
    db.session.commit()
    client = app.test_client(use_cookies=False)
    response = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
