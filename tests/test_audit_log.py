"""The audit log answers "who did this, and when?" and "who looked at this patient?"."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from telemed.audit import service as audit
from telemed.audit.models import AuditEntry
from telemed.auth.models import User
from telemed.cases.models import Case
from tests.conftest import PDF_BYTES, START, case_payload, committed, login, upload

PATIENT = "NSS-4455667788"
# 2 March 23:00 in Mexico City, already 3 March in UTC: the date filters use the viewer's day.
LATE_EVENING = datetime(2026, 3, 3, 5, 0, tzinfo=UTC)
LATER_THAT_WEEK = datetime(2026, 3, 5, 17, 0, tzinfo=UTC)


def logged_in(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert login(client, user).status_code == 302
    return client


def case_form(**overrides: Any) -> dict[str, Any]:
    data = case_payload(**overrides)
    data["high_complexity"] = "on" if data.pop("high_complexity") else None
    return {k: v for k, v in data.items() if v is not None}


class AuditTable(HTMLParser):
    """The rows of ``#audit-table`` as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.in_table = self.in_body = self.in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("id", "audit-table") in attrs:
            self.in_table = True
        elif self.in_table and tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag == "td":
            self.in_cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self.in_cell = False
        elif tag == "tbody":
            self.in_body = False
        elif tag == "table":
            self.in_table = False

    def handle_data(self, data: str) -> None:
        if self.in_cell:
            self.rows[-1][-1] += data


@dataclass
class Row:
    when: str
    who: str
    action: str
    target: str
    details: str


def audit_rows(client: FlaskClient, **filters: Any) -> list[Row]:
    response = client.get("/admin/audit/", query_string=filters)
    assert response.status_code == 200, response.get_data(as_text=True)
    parser = AuditTable()
    parser.feed(response.get_data(as_text=True))
    return [
        Row(*(" ".join(c.split()) for c in cells[:5])) for cells in parser.rows if len(cells) == 6
    ]


def actions(rows: list[Row]) -> list[str]:
    return sorted(row.action for row in rows)


@dataclass
class History:
    referring_client: FlaskClient
    coordinator_client: FlaskClient
    admin_client: FlaskClient
    first_case: Case
    second_case: Case
    attachment_id: int


@pytest.fixture
def history(app, db, clock, referring, other_referring, coordinator, admin, centre) -> History:
    """A week of work: a case sent, read and downloaded, then an admin's changes."""
    doctor = logged_in(app, referring)
    staff = logged_in(app, coordinator)
    boss = logged_in(app, admin)

    data = case_form(action="submit")
    data["file"] = upload("biopsia.pdf", PDF_BYTES)
    response = doctor.post("/cases/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    first = db.session.scalars(select(Case)).one()
    attachment_id = first.attachments[0].id

    clock.advance(timedelta(hours=1))
    assert doctor.get(f"/cases/{first.id}").status_code == 200

    clock.advance(timedelta(hours=1))
    with staff.get(f"/cases/{first.id}/attachments/{attachment_id}") as response:
        assert response.status_code == 200
        assert response.data == PDF_BYTES

    clock.set(LATE_EVENING)
    form = {
        "code": centre.code, "name": "HGR No. 1 Tijuana", "kind": "oncocrean",
        "state": "Baja California", "city": "Tijuana", "timezone": "America/Tijuana",
        "beds": "394", "paediatric_oncologists": "1", "has_ct": "on", "active": "on",
    }  # fmt: skip
    assert boss.post(f"/centres/{centre.id}/edit", data=form).status_code == 302

    clock.set(LATER_THAT_WEEK)
    response = boss.post(f"/admin/users/{other_referring.id}/active", data={"active": "0"})
    assert response.status_code == 302
    response = doctor.post("/cases/new", data=case_form(action="submit", patient_reference="EXP-2"))
    assert response.status_code == 302
    second = db.session.scalars(select(Case).where(Case.id != first.id)).one()
    return History(doctor, staff, boss, first, second, attachment_id)


def entries(db: Any, action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


# --- what is recorded --------------------------------------------------------------------


def test_case_creation_reading_and_download_are_recorded_with_actor_and_time(
    history, db, referring, coordinator
):
    first = history.first_case
    created = entries(db, "case.create")
    assert [(e.actor_id, e.object_id, e.at) for e in created] == [
        (referring.id, first.id, START),
        (referring.id, history.second_case.id, LATER_THAT_WEEK),
    ]
    assert [(e.actor_id, e.object_id, e.at) for e in entries(db, "case.view")] == [
        (referring.id, first.id, START + timedelta(hours=1))
    ]
    [download] = entries(db, "attachment.download")
    assert (download.actor_id, download.object_type, download.object_id, download.at) == (
        coordinator.id, "attachment", history.attachment_id, START + timedelta(hours=2)
    )  # fmt: skip
    assert download.details["case"] == first.code
    assert download.ip_address == "127.0.0.1"


def test_admin_edits_are_recorded_with_actor_and_time(history, db, admin, centre, other_referring):
    [centre_edit] = entries(db, "centre.update")
    assert (centre_edit.actor_id, centre_edit.object_id, centre_edit.at) == (
        admin.id, centre.id, LATE_EVENING
    )  # fmt: skip
    assert "beds" in centre_edit.details["changed"]
    [deactivation] = entries(db, "user.deactivate")
    assert (deactivation.actor_id, deactivation.object_id, deactivation.at) == (
        admin.id, other_referring.id, LATER_THAT_WEEK
    )  # fmt: skip


def test_reading_a_case_through_the_api_is_recorded_too(app, db, make_case, coordinator, clock):
    case = make_case()
    client = logged_in(app, coordinator)
    assert client.get(f"/api/v1/cases/{case.id}").status_code == 200
    [view] = entries(db, "case.view")
    assert (view.actor_id, view.object_id, view.at) == (coordinator.id, case.id, clock())


def test_a_hidden_case_is_not_shown_and_no_read_is_recorded(app, db, make_case, other_referring):
    case = make_case()
    client = logged_in(app, other_referring)
    assert client.get(f"/cases/{case.id}").status_code == 404
    assert entries(db, "case.view") == []


# --- who may read it ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["referring", "specialist", "coordinator"])
def test_only_administrators_open_the_audit_log(request, app, role):
    client = logged_in(app, request.getfixturevalue(role))
    response = client.get("/admin/audit/")
    assert response.status_code == 403
    assert "You do not have access to this page." in response.get_data(as_text=True)
    assert client.get("/admin/audit/", query_string={"action": "case."}).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/admin/audit/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


# --- the page and its filters ------------------------------------------------------------


def test_page_shows_who_did_what_and_when_in_the_admins_time_zone(history, admin):
    rows = audit_rows(history.admin_client, action="case.create")
    assert [row.who for row in rows] == ["referente@hospital.test"] * 2
    oldest = rows[-1]  # newest first
    assert oldest.target == f"case #{history.first_case.id}"
    assert "2 Mar 2026, 11:00" in oldest.when  # 17:00 UTC is 11:00 in Mexico City
    assert history.first_case.code in oldest.details


def test_filter_by_actor_email(history):
    rows = audit_rows(history.admin_client, actor_email="Coordinador@Hospital.test")
    assert {row.who for row in rows} == {"coordinador@hospital.test"}
    assert actions(rows) == ["attachment.download", "auth.login"]
    assert audit_rows(history.admin_client, actor_email="nadie@hospital.test") == []


def test_filter_by_action_prefix(history):
    rows = audit_rows(history.admin_client, action="case.")
    assert actions(rows) == ["case.create", "case.create", "case.submit", "case.submit",
                             "case.view"]  # fmt: skip
    assert actions(audit_rows(history.admin_client, action="case.v")) == ["case.view"]
    assert actions(audit_rows(history.admin_client, action="user.")) == ["user.deactivate"]
    assert audit_rows(history.admin_client, action="view") == []  # a prefix, not a substring


def test_filter_by_object_type_and_id(history):
    first = history.first_case
    rows = audit_rows(history.admin_client, object_type="case", object_id=first.id)
    assert actions(rows) == ["case.create", "case.submit", "case.view"]
    assert {row.target for row in rows} == {f"case #{first.id}"}

    rows = audit_rows(history.admin_client, object_type="attachment")
    assert actions(rows) == ["attachment.create", "attachment.download"]
    rows = audit_rows(history.admin_client, object_type="centre")
    assert actions(rows) == ["centre.update"]


def test_filter_by_date_range_uses_the_admins_local_days(history):
    client = history.admin_client
    monday = audit_rows(client, date_from="2026-03-02", date_to="2026-03-02")
    assert "centre.update" in actions(monday)  # 23:00 local, although 3 March in UTC
    assert "case.view" in actions(monday)
    assert "user.deactivate" not in actions(monday)

    assert audit_rows(client, date_from="2026-03-03", date_to="2026-03-04") == []

    thursday = audit_rows(client, date_from="2026-03-05")
    assert actions(thursday) == ["case.create", "case.submit", "user.deactivate"]
    up_to_monday = audit_rows(client, date_to="2026-03-02")
    assert len(up_to_monday) == len(monday)


def test_filters_combine(history):
    rows = audit_rows(
        history.admin_client,
        actor_email="referente@hospital.test",
        action="case.",
        date_from="2026-03-05",
    )
    assert actions(rows) == ["case.create", "case.submit"]
    assert {row.target for row in rows} == {f"case #{history.second_case.id}"}


def test_bad_filter_answers_a_readable_422(login_as, admin):
    client = login_as(admin)
    response = client.get("/admin/audit/", query_string={"date_from": "ayer", "object_id": "x"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "date_from" in page and "object_id" in page
    assert "Traceback" not in page


# --- export ------------------------------------------------------------------------------


def export_csv(client: FlaskClient, **filters: Any) -> list[dict[str, str]]:
    response = client.get("/admin/audit/export.csv", query_string=filters)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "no-store" in response.headers["Cache-Control"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_export_holds_every_entry_the_filters_select(history, db):
    page = audit_rows(history.admin_client, action="case.", date_from="2026-03-05")
    rows = export_csv(history.admin_client, action="case.", date_from="2026-03-05")
    assert sorted(row["action"] for row in rows) == actions(page) == ["case.create", "case.submit"]
    assert {row["actor"] for row in rows} == {"referente@hospital.test"}
    assert {row["object_id"] for row in rows} == {str(history.second_case.id)}
    everything = export_csv(history.admin_client)
    assert len(everything) == db.session.scalar(select(func.count(AuditEntry.id)))
    assert [row["action"] for row in everything[:2]] == ["audit.export", "audit.export"]


def test_an_export_is_audited_with_its_filters_and_the_address(history, db, admin):
    export_csv(history.admin_client, actor_email="referente@hospital.test")
    [export] = entries(db, "audit.export")
    assert (export.actor_id, export.object_type) == (admin.id, "audit_log")
    assert export.details == {"filters": {"actor_email": "referente@hospital.test"}}
    assert export.ip_address == "127.0.0.1"


def test_long_exports_stream_in_chunks_newest_first(app, db, admin):
    committed([audit.record(None, f"test.event{n}", "case", n) for n in range(7)])
    with app.test_request_context():
        rows = list(audit.export_rows({"action": "test."}, chunk=3))
    assert [row[2] for row in rows] == [f"test.event{n}" for n in reversed(range(7))]


@pytest.mark.parametrize("role", ["referring", "specialist", "coordinator"])
def test_only_administrators_export_the_log(request, app, role):
    client = logged_in(app, request.getfixturevalue(role))
    assert client.get("/admin/audit/export.csv").status_code == 403


# --- privacy -----------------------------------------------------------------------------


def test_audit_never_contains_the_patient_reference(history, app, db, referring):
    doctor = history.referring_client
    draft = doctor.post("/cases/new", data={"patient_reference": PATIENT, "action": "draft"})
    assert draft.status_code == 302
    case_id = int(draft.headers["Location"].rsplit("/", 1)[1])
    edited = doctor.post(
        f"/cases/{case_id}/edit", data=case_form(patient_reference="NSS-9988776655")
    )
    assert edited.status_code == 302
    assert doctor.get(f"/api/v1/cases/{history.first_case.id}").status_code == 200

    everything = db.session.scalars(select(AuditEntry)).all()
    assert {"case.create", "case.update", "case.view", "attachment.download"} <= {
        e.action for e in everything
    }
    update = next(e for e in everything if e.action == "case.update")
    assert "patient_reference" in update.details["fields"]  # the field's name, not its value
    for entry in everything:
        dumped = json.dumps(entry.details, ensure_ascii=False)
        for secret in (PATIENT, "4455667788", "NSS-9988776655", "EXP-2"):
            assert secret not in dumped, (entry.action, dumped)

    page = history.admin_client.get("/admin/audit/").get_data(as_text=True)
    assert "4455667788" not in page and "9988776655" not in page
