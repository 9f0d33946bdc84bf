"""Centres of the network and what each can resolve: everyone reads, administrators edit."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from telemed.audit.models import AuditEntry
from telemed.centres.models import CAPABILITY_COUNTS, CAPABILITY_FLAGS, Centre, CentreKind


@pytest.fixture(autouse=True)
def english(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


# HGR No. 1 Tijuana as published: CT, MRI, linear accelerator, blood bank, neurosurgery,
# one paediatric oncologist, 51 paediatricians, 394 beds (50 paediatric), no orthopaedist.
TIJUANA_FLAGS = ("has_ct", "has_mri", "has_linear_accelerator", "has_blood_bank",
                 "has_neurosurgery")  # fmt: skip


def centre_form(**overrides: Any) -> dict[str, str]:
    """The centre form as a browser sends it: ticked boxes are "on", unticked are absent."""
    data: dict[str, Any] = {
        "csrf_token": "token-from-the-page",
        "code": "OC-BC-TIJ",
        "name": "HGR No. 1 Tijuana",
        "kind": "oncocrean",
        "state": "Baja California",
        "city": "Tijuana",
        "timezone": "America/Tijuana",
        "paediatric_oncologists": "1",
        "paediatricians": "51",
        "beds": "394",
        "paediatric_beds": "50",
        "active": "on",
        **{flag: "on" for flag in TIJUANA_FLAGS},
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def snapshot(centre: Centre) -> dict[str, Any]:
    names = ("code", "name", "kind", "state", "city", "timezone", "active",
             *CAPABILITY_FLAGS, *CAPABILITY_COUNTS)  # fmt: skip
    return {name: getattr(centre, name) for name in names}


def count_centres(db: Any) -> int:
    return db.session.scalar(select(func.count(Centre.id)))


def centre_audit(db: Any) -> list[tuple[str, int | None, int | None]]:
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "centre").order_by(AuditEntry.id)
    )
    return [(e.action, e.actor_id, e.object_id) for e in entries]


# --- reading -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["referring", "specialist", "coordinator", "admin"])
def test_every_logged_in_user_sees_the_centres(request, login_as, centre, other_centre, role):
    client = login_as(request.getfixturevalue(role))
    response = client.get("/centres/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # Zones by the city people name them by, not "America/Tijuana".
    for shown in ("OC-BC-TIJ", "HGR No. 1 Tijuana", "<td>Tijuana</td>", "OC-QR-CUN",
                  "<td>Cancún</td>"):  # fmt: skip
        assert shown in page
    may_edit = role == "admin"
    assert ('href="/centres/new"' in page) is may_edit
    assert (f'href="/centres/{centre.id}/edit"' in page) is may_edit


def test_centres_page_needs_a_login(client, centre):
    response = client.get("/centres/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_api_lists_centres_with_their_capacity(login_as, referring, make_centre, db):
    tijuana = db.session.get(Centre, referring.centre_id)
    for flag in TIJUANA_FLAGS:
        setattr(tijuana, flag, True)
    tijuana.paediatric_oncologists, tijuana.beds = 1, 394
    db.session.commit()
    make_centre(code="HITO", name="Hospital Infantil Teletón de Oncología", state="Querétaro",
                kind=CentreKind.EXTERNAL_PARTNER, has_transplant_unit=True)  # fmt: skip

    client = login_as(referring)
    response = client.get("/api/v1/centres")
    assert response.status_code == 200
    centres = {c["code"]: c for c in response.get_json()}
    assert set(centres) == {"OC-BC-TIJ", "HITO"}
    tij = centres["OC-BC-TIJ"]
    assert tij["timezone"] == "America/Tijuana"
    assert tij["state"] == "Baja California"
    assert tij["kind"] == "oncocrean"
    assert tij["capacity"]["has_orthopaedics"] is False
    assert tij["capacity"]["has_linear_accelerator"] is True
    assert tij["capacity"]["paediatric_oncologists"] == 1
    assert tij["capacity"]["beds"] == 394
    assert set(tij["capacity"]) == {*CAPABILITY_FLAGS, *CAPABILITY_COUNTS}
    assert centres["HITO"]["kind"] == "external_partner"
    assert centres["HITO"]["capacity"]["has_transplant_unit"] is True


def test_api_centres_needs_a_login_or_token(app, centre):
    response = app.test_client().get("/api/v1/centres")
    assert response.status_code == 401
    assert response.get_json()["code"] == 401


# --- creating and editing ----------------------------------------------------------------


def test_admin_creates_a_centre_with_its_capacity(login_as, admin, db, clock):
    client = login_as(admin)
    assert client.get("/centres/new").status_code == 200
    response = client.post("/centres/new", data=centre_form())
    assert response.status_code == 302
    assert response.headers["Location"] == "/centres/"

    centre = db.session.scalars(select(Centre)).one()
    assert centre.code == "OC-BC-TIJ"
    assert centre.kind is CentreKind.ONCOCREAN
    assert centre.timezone == "America/Tijuana"
    assert centre.active is True
    for flag in CAPABILITY_FLAGS:
        assert getattr(centre, flag) is (flag in TIJUANA_FLAGS), flag
    assert centre.has_orthopaedics is False
    assert (centre.paediatric_oncologists, centre.paediatricians) == (1, 51)
    assert (centre.beds, centre.paediatric_beds) == (394, 50)

    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "centre")).one()
    assert (entry.action, entry.actor_id, entry.object_id) == ("centre.create", admin.id, centre.id)
    assert entry.at == clock()
    assert "Centre OC-BC-TIJ saved." in client.get("/centres/").get_data(as_text=True)


def test_admin_edits_a_centre_and_unticked_boxes_are_saved_as_no(login_as, admin, make_centre, db):
    centre = make_centre(code="OC-BC-TIJ", state="Baja California", city="Tijuana",
                         timezone="America/Tijuana", has_orthopaedics=True,
                         has_paediatric_icu=True, paediatric_oncologists=3)  # fmt: skip
    client = login_as(admin)
    page = client.get(f"/centres/{centre.id}/edit").get_data(as_text=True)
    assert 'value="OC-BC-TIJ"' in page

    response = client.post(f"/centres/{centre.id}/edit", data=centre_form())
    assert response.status_code == 302
    db.session.refresh(centre)
    assert centre.has_orthopaedics is False
    assert centre.has_paediatric_icu is False
    assert centre.has_linear_accelerator is True
    assert centre.paediatric_oncologists == 1
    assert centre.name == "HGR No. 1 Tijuana"
    assert centre_audit(db) == [("centre.update", admin.id, centre.id)]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "centre")).one()
    changed = entry.details["changed"]
    assert {"has_orthopaedics", "paediatric_oncologists", "beds"} <= set(changed)

    response = client.post(f"/centres/{centre.id}/edit", data=centre_form(active=None))
    assert response.status_code == 302
    db.session.refresh(centre)
    assert centre.active is False


BAD_INPUT = [
    ({"code": "tij 1"}, "code"),
    ({"code": ""}, "code"),
    ({"timezone": "Mexico/Tijuana_Nope"}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({"beds": "-5"}, "beds"),
    ({"paediatric_oncologists": "uno"}, "paediatric_oncologists"),
    ({"state": "Atlantis"}, "state"),
    ({"kind": "hospital"}, "kind"),
    ({"name": ""}, "name"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_INPUT)
def test_bad_input_on_create_names_the_field_and_writes_nothing(
    login_as, admin, db, overrides, field
):
    client = login_as(admin)
    response = client.post("/centres/new", data=centre_form(**overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    assert "Nothing was saved" in page
    assert count_centres(db) == 0
    assert centre_audit(db) == []


@pytest.mark.parametrize(("overrides", "field"), BAD_INPUT)
def test_bad_input_on_edit_names_the_field_and_changes_nothing(
    login_as, admin, other_centre, db, overrides, field
):
    client = login_as(admin)
    before = snapshot(other_centre)
    response = client.post(f"/centres/{other_centre.id}/edit", data=centre_form(**overrides))
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    db.session.rollback()
    db.session.refresh(other_centre)
    assert snapshot(other_centre) == before
    assert centre_audit(db) == []


def test_duplicate_code_is_refused_on_create_and_edit(login_as, admin, centre, other_centre, db):
    client = login_as(admin)
    response = client.post("/centres/new", data=centre_form(code=centre.code))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="code-error"' in page
    assert "Another centre already has this code." in page
    assert count_centres(db) == 2

    before = snapshot(other_centre)
    response = client.post(f"/centres/{other_centre.id}/edit", data=centre_form(code=centre.code))
    assert response.status_code == 422
    assert 'id="code-error"' in response.get_data(as_text=True)
    db.session.rollback()
    db.session.refresh(other_centre)
    assert snapshot(other_centre) == before
    assert centre_audit(db) == []


def test_bad_input_keeps_what_was_typed(login_as, admin):
    client = login_as(admin)
    response = client.post(
        "/centres/new", data=centre_form(timezone="Mexico/Tijuana_Nope", name="HGZ No. 99")
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="HGZ No. 99"' in page
    assert 'value="394"' in page


def test_editing_a_missing_centre_is_404(login_as, admin):
    assert login_as(admin).get("/centres/9999/edit").status_code == 404


@pytest.mark.parametrize("role", ["referring", "specialist", "coordinator"])
def test_non_admins_get_403_on_new_and_edit(request, login_as, centre, db, role):
    client = login_as(request.getfixturevalue(role))
    before = snapshot(centre)
    assert client.get("/centres/new").status_code == 403
    response = client.post("/centres/new", data=centre_form(code="OC-NEW-01"))
    assert response.status_code == 403
    assert "You do not have access to this page." in response.get_data(as_text=True)
    assert client.get(f"/centres/{centre.id}/edit").status_code == 403
    response = client.post(f"/centres/{centre.id}/edit", data=centre_form(beds="1"))
    assert response.status_code == 403
    db.session.refresh(centre)
    assert snapshot(centre) == before
    assert count_centres(db) == 1
    assert centre_audit(db) == []
