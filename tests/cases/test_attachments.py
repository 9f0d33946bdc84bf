"""Studies attached to a case: PDF reports and JPEG/PNG images, checked by what they contain.

Files are kept outside the static folder under their SHA-256, downloaded only by people who
may see the case, and their addresses reveal nothing about the patient.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from telemed.audit.models import AuditEntry
from telemed.cases import service as case_service
from telemed.cases.models import Attachment, Case, CaseStatus
from tests.conftest import PDF_BYTES, PNG_BYTES, case_payload, client_for, upload

JPEG_BYTES = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    b"\xff\xdb\x00C\x00" + bytes(64) + b"\xff\xd9"
)


def unique(content: bytes, tag: str) -> bytes:
    """Same file type, bytes no other test stores (the attachment folder is shared)."""
    return content + f"\n% {tag}\n".encode()


def stored_path(app: Flask, content: bytes) -> Path:
    digest = hashlib.sha256(content).hexdigest()
    return Path(app.config["ATTACHMENT_DIR"]) / digest[:2] / digest


def attachment_rows(db: Any) -> list[tuple[str, str, int]]:
    db.session.expire_all()
    return [
        tuple(row)
        for row in db.session.execute(
            select(Attachment.filename, Attachment.content_type, Attachment.size).order_by(
                Attachment.id
            )
        )
    ]


def audit_count(db: Any) -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)))


def flashes(client: FlaskClient, case: Case) -> list[str]:
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    return [m.strip() for m in re.findall(r'role="alert">(.*?)</div>', page, re.S)]


def beside_file(response: Any) -> list[str]:
    """A refused upload answers with the case page again: the errors under the file field."""
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    return [m.strip() for m in re.findall(r'<div id="file-error"[^>]*>(.*?)</div>', page, re.S)]


def post_files(
    client: FlaskClient, case: Case, *files: tuple[str, bytes], api: bool = False
) -> Any:
    prefix = "/api/v1" if api else ""
    return client.post(
        f"{prefix}/cases/{case.id}/attachments",
        data={"file": [upload(name, content) for name, content in files]},
        content_type="multipart/form-data",
    )


def test_doctor_attaches_pdf_jpeg_and_png_from_the_case_page(app, make_case, referring, db):
    case = make_case()
    doctor = client_for(app, referring)
    pdf, jpeg, png = (
        unique(PDF_BYTES, "web-1"),
        unique(JPEG_BYTES, "web-2"),
        unique(PNG_BYTES, "web-3"),
    )
    response = post_files(doctor, case, ("biopsia.pdf", pdf), ("rm.jpeg", jpeg), ("tac.png", png))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{case.id}"
    assert "File attached." in flashes(doctor, case)
    assert attachment_rows(db) == [
        ("biopsia.pdf", "application/pdf", len(pdf)),
        ("rm.jpg", "image/jpeg", len(jpeg)),
        ("tac.png", "image/png", len(png)),
    ]
    page = doctor.get(f"/cases/{case.id}").get_data(as_text=True)
    for name in ("biopsia.pdf", "rm.jpg", "tac.png"):
        assert name in page
    assert page.count("File attached") >= 3  # one timeline step per file
    assert db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == "attachment.create")
    ) == 3  # fmt: skip


def test_coordinator_attaches_through_the_api(app, make_case, coordinator, db):
    case = make_case()
    png = unique(PNG_BYTES, "api-1")
    response = post_files(client_for(app, coordinator), case, ("estudio", png), api=True)
    assert response.status_code == 201
    [item] = response.get_json()
    assert (item["filename"], item["content_type"], item["size"]) == (
        "estudio.png", "image/png", len(png))  # fmt: skip
    assert item["download_url"] == f"/cases/{case.id}/attachments/{item['id']}"


def test_file_is_stored_outside_static_under_its_sha256(app, make_case, referring, db):
    case = make_case()
    pdf = unique(PDF_BYTES, "storage")
    post_files(client_for(app, referring), case, ("informe.pdf", pdf))
    path = stored_path(app, pdf)
    assert path.is_file()
    assert path.read_bytes() == pdf
    attachment = db.session.scalars(select(Attachment)).one()
    assert attachment.sha256 == hashlib.sha256(pdf).hexdigest()
    static = Path(app.static_folder or "").resolve()
    assert static not in path.resolve().parents
    assert not list(static.rglob(attachment.sha256))


def test_content_decides_the_type_not_the_extension(app, make_case, referring, db):
    case = make_case()
    doctor = client_for(app, referring)
    before = audit_count(db)
    fake = b"Resumen clinico en texto plano, no es un PDF.\n"

    response = post_files(doctor, case, ("informe.pdf", fake), api=True)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["file"]
    assert "PDF, JPEG and PNG" in response.get_json()["errors"]["file"][0]

    response = post_files(doctor, case, ("informe.pdf", fake))
    assert beside_file(response) == ["Only PDF, JPEG and PNG files are accepted."]
    assert "choose it again (informe.pdf)" in response.get_data(as_text=True)

    assert attachment_rows(db) == []
    assert not stored_path(app, fake).exists()
    assert db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action.startswith("attachment."))
    ) == 0  # fmt: skip
    assert audit_count(db) == before

    # a real PDF with a misleading name is accepted and gets the right extension
    response = post_files(doctor, case, ("radiografia.png", unique(PDF_BYTES, "renamed")), api=True)
    assert response.status_code == 201
    assert response.get_json()[0]["filename"] == "radiografia.pdf"


def test_a_file_that_is_too_large_is_refused(app, make_case, referring, monkeypatch, db):
    # small numbers keep the request in memory (the test client spools big bodies to disk)
    monkeypatch.setitem(app.config, "MAX_ATTACHMENT_BYTES", 100_000)
    case = make_case()
    doctor = client_for(app, referring)
    big = PDF_BYTES + bytes(100_000)
    response = post_files(doctor, case, ("tac-completa.pdf", big), api=True)
    assert response.status_code == 422
    [message] = response.get_json()["errors"]["file"]
    assert message.startswith("The file is larger than")
    response = post_files(doctor, case, ("tac-completa.pdf", big))
    [message] = beside_file(response)
    assert message.startswith("The file is larger than")
    assert attachment_rows(db) == []
    assert not stored_path(app, big).exists()


def test_an_empty_file_or_no_file_is_refused(app, make_case, referring, db):
    case = make_case()
    doctor = client_for(app, referring)
    response = post_files(doctor, case, ("vacio.pdf", b""), api=True)
    assert response.status_code == 422
    assert "file" in response.get_json()["errors"]
    response = doctor.post(f"/api/v1/cases/{case.id}/attachments", data={})
    assert response.status_code == 422
    assert "file" in response.get_json()["errors"]
    response = doctor.post(f"/cases/{case.id}/attachments", data={})
    assert beside_file(response) == ["Choose a file."]
    assert attachment_rows(db) == []


@pytest.mark.parametrize("api", [False, True], ids=["web", "api"])
def test_one_bad_file_among_several_means_none_is_stored(api, app, make_case, referring, db):
    case = make_case()
    good_pdf, good_png = unique(PDF_BYTES, f"batch-{api}-1"), unique(PNG_BYTES, f"batch-{api}-2")
    response = post_files(
        client_for(app, referring), case,
        ("biopsia.pdf", good_pdf), ("notas.pdf", b"texto plano"), ("tac.png", good_png),
        api=api,
    )  # fmt: skip
    assert response.status_code == 422
    assert attachment_rows(db) == []
    assert not stored_path(app, good_pdf).exists()
    assert not stored_path(app, good_png).exists()


def test_download_is_an_attachment_for_allowed_users_only(
    app, make_case, referring, coordinator, other_referring, specialist, db
):
    case = case_service.create_case(
        referring,
        case_payload(patient_reference="NSS-4455667788"),
        submit=True,
        files=[("NSS-4455667788 biopsia.pdf", PDF_BYTES)],
    )
    attachment = case.attachments[0]
    url = f"/cases/{case.id}/attachments/{attachment.id}"

    api_url = client_for(app, referring).get(f"/api/v1/cases/{case.id}").get_json()[
        "attachments"][0]["download_url"]  # fmt: skip
    assert api_url == url
    assert "4455667788" not in api_url and "biopsia" not in api_url

    for user in (referring, coordinator):
        response = client_for(app, user).get(url)
        body = response.get_data()
        response.close()
        assert response.status_code == 200
        assert body == PDF_BYTES
        assert response.mimetype == "application/pdf"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "biopsia.pdf" in disposition
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response.headers["Cache-Control"]

    downloads = db.session.scalars(
        select(AuditEntry.actor_id).where(AuditEntry.action == "attachment.download")
    ).all()
    assert downloads == [referring.id, coordinator.id]

    for user in (other_referring, specialist):
        response = client_for(app, user).get(url)
        assert response.status_code == 404
        assert PDF_BYTES not in response.get_data()
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/auth/login")
    # an attachment id under another case's address is not found either
    other = make_case()
    assert client_for(app, referring).get(
        f"/cases/{other.id}/attachments/{attachment.id}").status_code == 404  # fmt: skip
    assert db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == "attachment.download")
    ) == 2  # fmt: skip


def test_path_parts_are_removed_from_names_and_the_extension_follows_the_content(
    app, make_case, referring, db
):
    case = make_case()
    response = post_files(
        client_for(app, referring), case,
        ("../../etc/passwd.pdf", unique(PDF_BYTES, "n1")),
        ("foto.exe", unique(PNG_BYTES, "n2")),
        api=True,
    )  # fmt: skip
    assert response.status_code == 201
    assert [item["filename"] for item in response.get_json()] == ["passwd.pdf", "foto.png"]


@pytest.mark.parametrize("status", [CaseStatus.WITHDRAWN, CaseStatus.CLOSED])
def test_no_files_can_be_added_to_a_finished_case(
    status, app, make_case, referring, coordinator, db
):
    case = make_case()
    if status is CaseStatus.WITHDRAWN:
        case_service.transition(referring, case, "withdraw", "Se trató en la UMAE.")
    else:
        case_service.transition(coordinator, case, "accept")
        case_service.transition(coordinator, case, "close")
    doctor = client_for(app, referring)
    page = doctor.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'action="/cases/{case.id}/attachments"' not in page  # no upload form offered
    pdf = unique(PDF_BYTES, f"late-{status}")
    before = audit_count(db)

    response = post_files(doctor, case, ("tardio.pdf", pdf), api=True)
    assert response.status_code == 409
    assert "closed or withdrawn" in response.get_json()["message"]
    response = post_files(doctor, case, ("tardio.pdf", pdf))
    assert response.status_code == 409
    assert "closed or withdrawn" in response.get_data(as_text=True)

    assert attachment_rows(db) == []
    assert not stored_path(app, pdf).exists()
    assert audit_count(db) == before
