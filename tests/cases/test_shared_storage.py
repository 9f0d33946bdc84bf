"""Several web servers, one database: an attachment uploaded through one server is downloaded
through any other, because its bytes live in the database (``TELEMED_ATTACHMENT_STORE=
database``), stored once per content and written in the upload's own transaction.
``flask attachments migrate`` moves the bytes of a running service between the two stores."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from config import ConfigError
from telemed import create_app
from telemed.audit.models import AuditEntry
from telemed.auth.models import Role, User
from telemed.cases import service as case_service
from telemed.cases import storage
from telemed.cases.models import Attachment, AttachmentBlob, Case
from telemed.centres.models import Centre, CentreKind
from telemed.core.transaction import unit_of_work
from telemed.extensions import db
from tests.conftest import PASSWORD, PDF_BYTES, PNG_BYTES, case_payload, client_for, upload


def unique(content: bytes, tag: str) -> bytes:
    """Same file type, bytes no other test stores (the session app's folder is shared)."""
    return content + f"\n% shared-storage {tag}\n".encode()


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- two web servers ---------------------------------------------------------------------


@pytest.fixture
def two_servers(app: Flask, tmp_path: Path) -> Iterator[Callable[[str], tuple[Flask, Flask]]]:
    """Two apps, as two machines would run them: one database (the PostgreSQL test database,
    or a SQLite file), each its own instance and attachment folder."""
    made: list[Flask] = []

    def build(store: str) -> tuple[Flask, Flask]:
        url = os.environ.get("TELEMED_TEST_DATABASE_URL") or (
            f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        )
        for name in ("first", "second"):
            made.append(
                create_app(
                    "testing",
                    {
                        "SQLALCHEMY_DATABASE_URI": url,
                        "ATTACHMENT_STORE": store,
                        "ATTACHMENT_DIR": str(tmp_path / name / "attachments"),
                        "INSTANCE_PATH": str(tmp_path / name),
                        "CLOCK": app.extensions["telemed.clock"],
                    },
                )
            )
        if not os.environ.get("TELEMED_TEST_DATABASE_URL"):  # the PostgreSQL one has them
            with made[0].app_context():
                db.create_all()
        return made[0], made[1]

    yield build
    for server in made:
        with server.app_context():
            db.session.remove()
            db.engine.dispose()


def a_doctor_with_a_case(server: Flask, password_hash: str) -> tuple[int, int, str]:
    """A referring doctor and her submitted case, written through ``server``."""
    with server.app_context():
        centre = Centre(code="OC-JAL-GDL", name="HGZ No. 14", kind=CentreKind.ONCOCREAN,
                        state="Jalisco", city="Guadalajara",
                        timezone="America/Mexico_City")  # fmt: skip
        db.session.add(centre)
        db.session.flush()
        doctor = User(email="dra.torres@hospital.test", name="Dra. Torres", role=Role.REFERRING,
                      password_hash=password_hash, centre_id=centre.id)  # fmt: skip
        db.session.add(doctor)
        db.session.flush()
        case = case_service.create_case(doctor, case_payload(), submit=True)
        db.session.commit()
        return doctor.id, case.id, doctor.email


def logged_in(server: Flask, email: str) -> FlaskClient:
    client = server.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def post_file(client: FlaskClient, case_id: int, name: str, content: bytes) -> Any:
    return client.post(
        f"/api/v1/cases/{case_id}/attachments",
        data={"file": [upload(name, content)]},
        content_type="multipart/form-data",
    )


def download(client: FlaskClient, url: str) -> tuple[int, bytes, Any]:
    response = client.get(url)
    body = response.get_data()
    response.close()
    return response.status_code, body, response.headers


def test_a_file_uploaded_through_one_server_is_downloaded_whole_through_another(
    two_servers, password_hash, monkeypatch
):
    first, second = two_servers("database")
    _doctor_id, case_id, email = a_doctor_with_a_case(first, password_hash)
    # Several chunks (small ones: the test client spools bodies over 500 kB to a file it
    # never closes), so the download is put together from several reads.
    monkeypatch.setattr(storage, "CHUNK_BYTES", 64 * 1024)
    pdf = PDF_BYTES + os.urandom(5 * 64 * 1024 + 12345)
    created = post_file(logged_in(first, email), case_id, "biopsia.pdf", pdf)
    assert created.status_code == 201
    url = created.get_json()[0]["download_url"]

    status, body, headers = download(logged_in(second, email), url)

    assert status == 200
    assert len(body) == len(pdf) and sha(body) == sha(pdf)
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert "biopsia.pdf" in headers["Content-Disposition"]
    assert int(headers["Content-Length"]) == len(pdf)
    assert "no-store" in headers["Cache-Control"]
    assert not any((Path(first.config["ATTACHMENT_DIR"])).rglob("*"))  # nothing on a disk
    with second.app_context():
        assert db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "attachment.download")
        ) == 1  # fmt: skip


def test_the_same_bytes_are_stored_once_whichever_server_receives_them(two_servers, password_hash):
    first, second = two_servers("database")
    _doctor_id, case_id, email = a_doctor_with_a_case(first, password_hash)
    png = unique(PNG_BYTES, "twice")
    assert post_file(logged_in(first, email), case_id, "tac.png", png).status_code == 201
    assert post_file(logged_in(second, email), case_id, "tac-copia.png", png).status_code == 201
    with first.app_context():
        assert db.session.scalar(select(func.count(Attachment.id))) == 2
        blob = db.session.scalars(select(AttachmentBlob)).one()
        assert (blob.sha256, blob.size) == (sha(png), len(png))


def test_an_upload_whose_transaction_fails_leaves_no_bytes_behind(two_servers, password_hash):
    first, _second = two_servers("database")
    doctor_id, case_id, _email = a_doctor_with_a_case(first, password_hash)
    with first.app_context():
        doctor, case = db.session.get(User, doctor_id), db.session.get(Case, case_id)
        assert doctor is not None and case is not None
        with pytest.raises(RuntimeError), unit_of_work():
            case_service.add_attachments(doctor, case, [("informe.pdf", unique(PDF_BYTES, "x"))])
            raise RuntimeError("the request failed after the upload")
        assert db.session.scalar(select(func.count(AttachmentBlob.sha256))) == 0
        assert db.session.scalar(select(func.count(Attachment.id))) == 0


def test_the_store_is_chosen_by_its_setting_and_a_typo_stops_the_start(
    app, make_case, referring, monkeypatch
):
    with pytest.raises(ConfigError, match="TELEMED_ATTACHMENT_STORE must be local or database"):
        create_app("testing", {"ATTACHMENT_STORE": "s3"})
    monkeypatch.setitem(app.config, "ATTACHMENT_STORE", "PostgreSQL")  # the database store
    png = unique(PNG_BYTES, "alias")
    assert post_file(client_for(app, referring), make_case().id, "tac.png", png).status_code == 201
    assert db.session.scalars(select(AttachmentBlob.sha256)).all() == [sha(png)]


def test_a_file_larger_than_the_limit_is_refused_by_the_database_store(
    app, make_case, referring, monkeypatch
):
    monkeypatch.setitem(app.config, "ATTACHMENT_STORE", "database")
    monkeypatch.setitem(app.config, "MAX_ATTACHMENT_BYTES", 100_000)
    case = make_case()
    response = post_file(client_for(app, referring), case.id, "tac.pdf", PDF_BYTES + bytes(100_001))
    assert response.status_code == 422
    assert response.get_json()["errors"]["file"][0].startswith("The file is larger than")
    assert db.session.scalar(select(func.count(AttachmentBlob.sha256))) == 0


def test_a_file_missing_from_the_store_is_not_found_and_its_download_not_audited(
    app, make_case, referring, monkeypatch, tmp_path
):
    monkeypatch.setitem(app.config, "ATTACHMENT_DIR", str(tmp_path / "attachments"))
    case = make_case()
    doctor = client_for(app, referring)
    url = post_file(doctor, case.id, "informe.pdf", unique(PDF_BYTES, "lost")).get_json()[0][
        "download_url"
    ]
    monkeypatch.setitem(app.config, "ATTACHMENT_STORE", "database")  # never copied there
    status, body, _headers = download(doctor, url)
    assert status == 404
    assert unique(PDF_BYTES, "lost") not in body
    assert db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == "attachment.download")
    ) == 0  # fmt: skip


# --- flask attachments migrate -----------------------------------------------------------


@pytest.fixture
def own_folder(app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """This test's own attachment folder (the session app's is shared by all tests)."""
    folder = tmp_path / "attachments"
    monkeypatch.setitem(app.config, "ATTACHMENT_DIR", str(folder))
    monkeypatch.setitem(app.config, "ATTACHMENT_STORE", "local")
    return folder


def migrate(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["attachments", "migrate", *args])


def attach_files(doctor: User, case: Case, *files: tuple[str, bytes]) -> list[Attachment]:
    attachments = case_service.add_attachments(doctor, case, list(files))
    db.session.commit()
    return attachments


def blobs() -> dict[str, bytes]:
    db.session.expire_all()
    return {blob.sha256: blob.content for blob in db.session.scalars(select(AttachmentBlob))}


def files_in(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_migrating_to_the_database_copies_each_file_once_and_verifies_it(
    app, make_case, referring, coordinator, own_folder, monkeypatch
):
    pdf, png = unique(PDF_BYTES, "to-db"), unique(PNG_BYTES, "to-db")
    case = make_case()
    attach_files(referring, case, ("biopsia.pdf", pdf), ("tac.png", png), ("copia.pdf", pdf))

    result = migrate(app, "--to", "database")

    assert result.exit_code == 0, result.output
    assert "2 copied, 0 already there, 0 deleted" in result.output
    assert blobs() == {sha(pdf): pdf, sha(png): png}
    assert files_in(own_folder) == {sha(pdf): pdf, sha(png): png}  # the source is kept

    again = migrate(app, "--to", "database")
    assert again.exit_code == 0, again.output
    assert "0 copied, 2 already there, 0 deleted" in again.output

    # the database store now serves them, with no folder at all
    monkeypatch.setitem(app.config, "ATTACHMENT_STORE", "database")
    monkeypatch.setitem(app.config, "ATTACHMENT_DIR", str(own_folder.parent / "elsewhere"))
    [first, *_] = case.attachments
    status, body, _ = download(
        client_for(app, coordinator), f"/cases/{case.id}/attachments/{first.id}"
    )
    assert (status, body) == (200, pdf)


def test_the_source_is_deleted_only_when_asked_and_only_after_the_copy_is_verified(
    app, make_case, referring, own_folder
):
    pdf = unique(PDF_BYTES, "delete-local")
    attach_files(referring, make_case(), ("biopsia.pdf", pdf))

    result = migrate(app, "--to", "database", "--delete-source")

    assert result.exit_code == 0, result.output
    assert "1 copied, 0 already there, 1 deleted" in result.output
    assert blobs() == {sha(pdf): pdf}
    assert files_in(own_folder) == {}


def test_migrating_to_a_folder_writes_each_blob_under_its_hash(
    app, make_case, referring, own_folder, monkeypatch
):
    monkeypatch.setitem(app.config, "ATTACHMENT_STORE", "database")
    pdf, png = unique(PDF_BYTES, "to-local"), unique(PNG_BYTES, "to-local")
    attach_files(referring, make_case(), ("biopsia.pdf", pdf), ("tac.png", png))
    assert files_in(own_folder) == {}

    result = migrate(app, "--to", "local")
    assert result.exit_code == 0, result.output
    assert "2 copied, 0 already there, 0 deleted" in result.output
    assert files_in(own_folder) == {sha(pdf): pdf, sha(png): png}
    assert (own_folder / sha(pdf)[:2] / sha(pdf)).is_file()
    assert set(blobs()) == {sha(pdf), sha(png)}

    again = migrate(app, "--to", "local", "--delete-source")
    assert again.exit_code == 0, again.output
    assert "0 copied, 2 already there, 2 deleted" in again.output
    assert blobs() == {}
    assert files_in(own_folder) == {sha(pdf): pdf, sha(png): png}


def test_a_corrupted_or_missing_file_stops_the_migration_loudly(
    app, make_case, referring, own_folder
):
    good, bad, lost = (unique(PDF_BYTES, f"check-{n}") for n in ("good", "bad", "lost"))
    attach_files(referring, make_case(), ("a.pdf", good), ("b.pdf", bad), ("c.pdf", lost))
    (own_folder / sha(bad)[:2] / sha(bad)).write_bytes(bad + b"bit rot")
    (own_folder / sha(lost)[:2] / sha(lost)).unlink()

    result = migrate(app, "--to", "database", "--delete-source")

    assert result.exit_code != 0
    assert f"{sha(bad)}: the source's bytes do not match their SHA-256" in result.output
    assert f"{sha(lost)}: missing from the source" in result.output
    assert "1 copied, 0 already there, 1 deleted, 2 failed" in result.output
    assert blobs() == {sha(good): good}  # nothing wrong was copied
    assert sha(bad) in files_in(own_folder)  # a failed file is never deleted


def test_a_corrupted_blob_is_not_copied_to_the_folder(
    app, make_case, referring, own_folder, monkeypatch
):
    monkeypatch.setitem(app.config, "ATTACHMENT_STORE", "database")
    pdf = unique(PDF_BYTES, "rotten-blob")
    attach_files(referring, make_case(), ("a.pdf", pdf))
    blob = db.session.get(AttachmentBlob, sha(pdf))
    assert blob is not None
    blob.content = pdf[:-1]
    db.session.commit()

    result = migrate(app, "--to", "local", "--delete-source")

    assert result.exit_code != 0
    assert f"{sha(pdf)}: the source's bytes do not match their SHA-256" in result.output
    assert files_in(own_folder) == {}
    assert set(blobs()) == {sha(pdf)}


def test_an_unknown_store_is_refused(app, own_folder):
    result = migrate(app, "--to", "ftp")
    assert result.exit_code != 0
    assert "'ftp' is not one of 'database', 'local'" in result.output
