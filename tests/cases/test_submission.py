"""A referring doctor sends a case from the web form and sees where it stands."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import func, select

from telemed.audit.models import AuditEntry
from telemed.cases.models import Case, CaseStatus
from tests.conftest import PDF_BYTES, PNG_BYTES, case_payload, upload


def form(**overrides):  # type: ignore[no-untyped-def]
    data = case_payload(**overrides)
    data["high_complexity"] = "on" if data.pop("high_complexity") else None
    return {k: v for k, v in data.items() if v is not None}


def count_cases(db) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count(Case.id)))


def test_referring_doctor_submits_a_case_with_an_attachment(login_as, referring, db):
    client = login_as(referring)
    data = form(action="submit")
    data["file"] = upload("estudio.pdf", PDF_BYTES)
    response = client.post("/cases/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    case = db.session.scalars(select(Case)).one()
    assert response.headers["Location"] == f"/cases/{case.id}"
    assert case.status is CaseStatus.SUBMITTED
    assert case.centre_id == referring.centre_id
    assert case.high_complexity is True
    assert [a.filename for a in case.attachments] == ["estudio.pdf"]

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "CE-0001" in page
    assert "estudio.pdf" in page
    listing = client.get("/cases/").get_data(as_text=True)
    assert "CE-0001" in listing
    assert "NSS-4455667788" not in listing  # masked in lists
    assert "•••788" in listing


def test_draft_can_be_incomplete_but_cannot_be_sent_until_complete(login_as, referring, db):
    client = login_as(referring)
    response = client.post("/cases/new", data={"patient_reference": "EXP-123", "action": "draft"})
    assert response.status_code == 302
    case = db.session.scalars(select(Case)).one()
    assert case.status is CaseStatus.DRAFT

    response = client.post(f"/cases/{case.id}/actions/submit", follow_redirects=True)
    db.session.refresh(case)
    assert case.status is CaseStatus.DRAFT
    # The case's form comes back with each missing field marked beside it, saving to the case.
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = '<div id="question-error" class="invalid-feedback d-block">Este campo es obligatorio.'
    assert error in page
    assert f'action="/cases/{case.id}/edit"' in page
    assert 'value="EXP-123"' in page

    response = client.post(f"/cases/{case.id}/edit", data=form(patient_reference="EXP-123"))
    assert response.status_code == 302
    client.post(f"/cases/{case.id}/actions/submit")
    db.session.refresh(case)
    assert case.status is CaseStatus.SUBMITTED


def test_bad_form_input_shows_errors_beside_fields_and_writes_nothing(login_as, referring, db):
    client = login_as(referring)
    response = client.post(
        "/cases/new",
        data=form(action="submit", icd10_code="leucemia", age_years="-1", urgency="urgent",
                  question=""),
    )  # fmt: skip
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field in ("icd10_code", "age_years", "urgency_justification", "question"):
        assert f'id="{field}-error"' in page, field
    assert 'value="leucemia"' in page  # what was typed is kept
    assert count_cases(db) == 0
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "case.create")) == 0  # fmt: skip


def test_wrong_file_type_is_refused_by_content_not_extension(login_as, referring, db):
    client = login_as(referring)
    data = form(action="submit")
    data["file"] = upload("informe.pdf", b"MZ\x90\x00 this is an executable, not a PDF")
    response = client.post("/cases/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert count_cases(db) == 0

    data = form(action="submit")
    data["file"] = upload("foto-sin-extension", PNG_BYTES)
    response = client.post("/cases/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    case = db.session.scalars(select(Case)).one()
    assert case.attachments[0].content_type == "image/png"
    assert case.attachments[0].filename == "foto-sin-extension.png"


def test_past_clinical_deadline_is_refused(login_as, referring, db):
    client = login_as(referring)
    response = client.post("/cases/new", data=form(action="submit", clinical_deadline="2026-03-01"))
    assert response.status_code == 422
    assert 'id="clinical_deadline-error"' in response.get_data(as_text=True)
    assert count_cases(db) == 0


def test_only_referring_doctors_open_the_new_case_form(login_as, coordinator, specialist, admin):
    for user in (coordinator, specialist, admin):
        client = login_as(user)
        assert client.get("/cases/new").status_code == 403
        assert client.post("/cases/new", data=form(action="submit")).status_code == 403
        client.post("/auth/logout")


def test_a_file_chosen_before_an_error_is_asked_for_again(login_as, referring, db):
    """Browsers never refill a file field: the page says which file to choose again (it used
    to vanish silently) and keeps everything else that was typed or chosen."""
    client = login_as(referring)
    data = form(action="submit", question="corta", material="pathology_report")
    data["file"] = upload("biopsia-medula.pdf", PDF_BYTES)
    response = client.post("/cases/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert count_cases(db) == 0
    page = response.get_data(as_text=True)
    assert 'id="question-error"' in page
    again = re.search(r'<div id="file-again"[^>]*>([^<]*)</div>', page)
    assert again is not None
    assert "vuelva a elegirlo (biopsia-medula.pdf)" in again.group(1)
    assert re.search(r'<input[^>]*id="file"[^>]*aria-describedby="file-again"', page)
    assert '<option value="pathology_report" selected>' in page
    assert 'value="NSS-4455667788"' in page


def test_the_deadline_is_today_or_later_on_the_doctors_wall(login_as, referring, clock, db):
    """At 21:00 in Tijuana it is already tomorrow in UTC: today is still a valid deadline, and
    the date picker starts at the doctor's today."""
    clock.set(datetime(2026, 3, 3, 5, 0, tzinfo=UTC))  # 2 March, 21:00 in Tijuana
    client = login_as(referring)
    page = client.get("/cases/new").get_data(as_text=True)
    assert re.search(r'<input type="date" id="clinical_deadline"[^>]*min=2026-03-02', page)

    response = client.post("/cases/new", data=form(action="draft", clinical_deadline="2026-03-01"))
    assert response.status_code == 422
    assert count_cases(db) == 0
    response = client.post("/cases/new", data=form(action="draft", clinical_deadline="2026-03-02"))
    assert response.status_code == 302
    case = db.session.scalars(select(Case)).one()

    # A day later the saved deadline has passed: neither an edit nor sending keeps it.
    clock.set(datetime(2026, 3, 4, 5, 0, tzinfo=UTC))
    response = client.post(f"/cases/{case.id}/edit", data=form(clinical_deadline="2026-03-02"))
    assert response.status_code == 422
    assert 'id="clinical_deadline-error"' in response.get_data(as_text=True)
    response = client.post(f"/cases/{case.id}/actions/submit")
    assert response.status_code == 422
    assert 'id="clinical_deadline-error"' in response.get_data(as_text=True)
    db.session.refresh(case)
    assert case.status is CaseStatus.DRAFT
