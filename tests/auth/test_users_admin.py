"""Administrators create, edit, deactivate and reactivate accounts; nobody else can."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from telemed.audit.models import AuditEntry
from telemed.auth.models import Discipline, Role, User
from tests.conftest import PASSWORD, login

NEW_PASSWORD = "clave-nueva-2026"


@pytest.fixture(autouse=True)
def english(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def new_client(app: Flask) -> FlaskClient:
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return other


def is_logged_in(client: FlaskClient) -> bool:
    return client.get("/auth/profile").status_code == 200


def user_form(**overrides: Any) -> dict[str, str]:
    """The account form as a browser sends it; ``None`` leaves a field out (unchecked box)."""
    data: dict[str, Any] = {
        "csrf_token": "token-from-the-page",
        "name": "Dra. Lucía Referente",
        "email": "Lucia.Referente@Hospital.test",
        "role": "referring",
        "centre_code": "OC-BC-TIJ",
        "discipline": "",
        "locale": "",
        "timezone": "",
        "password": NEW_PASSWORD,
        "active": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def count_users(db: Any) -> int:
    return db.session.scalar(select(func.count(User.id)))


def audit_actions(db: Any, prefix: str = "user.") -> list[tuple[str, int | None, int | None]]:
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id)
    )
    return [(e.action, e.actor_id, e.object_id) for e in entries]


def by_email(db: Any, email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


# --- creating ----------------------------------------------------------------------------


def test_admin_creates_a_referring_doctor_who_can_log_in(app, login_as, admin, centre, db):
    client = login_as(admin)
    assert client.get("/admin/users/new").status_code == 200
    response = client.post("/admin/users/new", data=user_form())
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users/"

    user = by_email(db, "lucia.referente@hospital.test")  # stored in lower case
    assert user.role is Role.REFERRING
    assert user.centre_id == centre.id
    assert user.active is True
    assert user.password_hash.startswith("scrypt:")
    assert audit_actions(db) == [("user.create", admin.id, user.id)]
    listing = client.get("/admin/users/").get_data(as_text=True)
    assert "lucia.referente@hospital.test" in listing
    assert "Account lucia.referente@hospital.test saved." in listing

    doctor = new_client(app)
    assert login(doctor, user, NEW_PASSWORD).status_code == 302
    assert doctor.get("/api/v1/me").get_json()["centre"] == "OC-BC-TIJ"


def test_referring_doctor_without_a_centre_is_refused_and_nothing_is_written(
    login_as, admin, centre, db
):
    client = login_as(admin)
    before = count_users(db)
    response = client.post("/admin/users/new", data=user_form(centre_code=""))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="centre_code-error"' in page
    assert "Choose the referring doctor&#39;s centre." in page
    assert 'value="Dra. Lucía Referente"' in page  # what was typed is kept
    assert count_users(db) == before
    assert audit_actions(db) == []


def test_unknown_centre_code_is_refused(login_as, admin, centre, db):
    client = login_as(admin)
    before = count_users(db)
    response = client.post("/admin/users/new", data=user_form(centre_code="OC-XX-NOPE"))
    assert response.status_code == 422
    assert 'id="centre_code-error"' in response.get_data(as_text=True)
    assert count_users(db) == before
    assert audit_actions(db) == []


def test_specialist_needs_a_discipline(login_as, admin, db):
    client = login_as(admin)
    before = count_users(db)
    data = user_form(email="hemato@hospital.test", role="specialist", centre_code="")
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 422
    assert 'id="discipline-error"' in response.get_data(as_text=True)
    assert count_users(db) == before

    response = client.post("/admin/users/new", data={**data, "discipline": "haematology"})
    assert response.status_code == 302
    user = by_email(db, "hemato@hospital.test")
    assert user.role is Role.SPECIALIST
    assert user.discipline is Discipline.HAEMATOLOGY
    assert user.centre_id is None


@pytest.mark.parametrize("email", ["referente@hospital.test", "REFERENTE@Hospital.Test"])
def test_duplicate_email_is_refused(login_as, admin, referring, db, email):
    client = login_as(admin)
    before = count_users(db)
    response = client.post("/admin/users/new", data=user_form(email=email))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page
    assert "There is already an account with this email." in page
    assert count_users(db) == before
    db.session.refresh(referring)
    assert referring.name != "Dra. Lucía Referente"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "no-es-un-correo"}, "email"),
        ({"name": ""}, "name"),
        ({"role": "superuser"}, "role"),
        ({"password": "corta"}, "password"),
        ({"password": ""}, "password"),
        ({"timezone": "America/Atlantis"}, "timezone"),
    ],
)
def test_other_bad_input_names_the_field(login_as, admin, centre, db, overrides, field):
    client = login_as(admin)
    before = count_users(db)
    response = client.post("/admin/users/new", data=user_form(**overrides))
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert count_users(db) == before
    assert audit_actions(db) == []


# --- editing -----------------------------------------------------------------------------


def test_admin_edits_an_account(app, login_as, admin, referring, other_centre, db):
    client = login_as(admin)
    page = client.get(f"/admin/users/{referring.id}/edit").get_data(as_text=True)
    assert 'value="referente@hospital.test"' in page
    old_hash = referring.password_hash

    response = client.post(
        f"/admin/users/{referring.id}/edit",
        data=user_form(name="Dr. Referente Movido", email="referente@hospital.test",
                       centre_code="OC-QR-CUN", password="", timezone="America/Cancun"),
    )  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(referring)
    assert referring.name == "Dr. Referente Movido"
    assert referring.centre_id == other_centre.id
    assert referring.timezone == "America/Cancun"
    assert referring.password_hash == old_hash  # an empty password field keeps the old one
    assert audit_actions(db) == [("user.update", admin.id, referring.id)]
    assert login(new_client(app), referring).status_code == 302


def test_edit_that_would_clash_with_another_email_changes_nothing(
    login_as, admin, referring, other_referring, db
):
    client = login_as(admin)
    response = client.post(
        f"/admin/users/{referring.id}/edit",
        data=user_form(email=other_referring.email, name="Otro Nombre", password=""),
    )
    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)
    db.session.rollback()
    db.session.refresh(referring)
    assert referring.email == "referente@hospital.test"
    assert referring.name != "Otro Nombre"


def test_editing_a_missing_account_is_404(login_as, admin):
    client = login_as(admin)
    assert client.get("/admin/users/9999/edit").status_code == 404
    assert client.post("/admin/users/9999/active", data={"active": "0"}).status_code == 404


# --- deactivating ------------------------------------------------------------------------


def test_deactivated_user_is_logged_out_and_cannot_log_in_until_reactivated(
    app, login_as, admin, referring, db
):
    doctor = new_client(app)
    assert login(doctor, referring).status_code == 302
    assert is_logged_in(doctor)

    client = login_as(admin)
    response = client.post(f"/admin/users/{referring.id}/active", data={"active": "0"})
    assert response.status_code == 302
    assert "Account deactivated." in client.get("/admin/users/").get_data(as_text=True)
    db.session.refresh(referring)
    assert referring.active is False

    assert not is_logged_in(doctor)  # the open session ended
    assert login(doctor, referring).status_code == 401

    response = client.post(f"/admin/users/{referring.id}/active", data={"active": "1"})
    assert response.status_code == 302
    db.session.refresh(referring)
    assert referring.active is True
    assert login(doctor, referring).status_code == 302
    assert is_logged_in(doctor)
    assert audit_actions(db) == [
        ("user.deactivate", admin.id, referring.id),
        ("user.activate", admin.id, referring.id),
    ]


def test_unticking_active_in_the_edit_form_also_ends_their_session(
    app, login_as, admin, referring, db
):
    doctor = new_client(app)
    login(doctor, referring)
    client = login_as(admin)
    response = client.post(
        f"/admin/users/{referring.id}/edit",
        data=user_form(email=referring.email, password="", active=None),
    )
    assert response.status_code == 302
    db.session.refresh(referring)
    assert referring.active is False
    assert not is_logged_in(doctor)


def test_admin_cannot_deactivate_or_demote_themselves(login_as, admin, db):
    client = login_as(admin)
    response = client.post(
        f"/admin/users/{admin.id}/active", data={"active": "0"}, follow_redirects=True
    )
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active is True
    assert is_logged_in(client)

    own = user_form(email=admin.email, name=admin.name, role="admin", centre_code="", password="")
    response = client.post(f"/admin/users/{admin.id}/edit", data={**own, "role": "coordinator"})
    assert response.status_code == 422
    assert 'id="role-error"' in response.get_data(as_text=True)
    response = client.post(
        f"/admin/users/{admin.id}/edit", data=user_form(**{**own, "active": None})
    )
    assert response.status_code == 422
    db.session.rollback()
    db.session.refresh(admin)
    assert (admin.role, admin.active) == (Role.ADMIN, True)
    assert audit_actions(db) == []
    assert client.get("/admin/users/").status_code == 200


# --- nobody else -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["referring", "specialist", "coordinator"])
def test_non_admins_get_403_and_change_nothing(request, login_as, other_referring, db, role):
    user = request.getfixturevalue(role)
    client = login_as(user)
    target = other_referring
    before = count_users(db)

    assert client.get("/admin/users/").status_code == 403
    assert client.get("/admin/users/new").status_code == 403
    assert client.post("/admin/users/new", data=user_form()).status_code == 403
    assert client.get(f"/admin/users/{target.id}/edit").status_code == 403
    response = client.post(
        f"/admin/users/{target.id}/edit",
        data=user_form(email=target.email, role="admin", centre_code="", password=""),
    )
    assert response.status_code == 403
    response = client.post(f"/admin/users/{target.id}/active", data={"active": "0"})
    assert response.status_code == 403
    assert "You do not have access to this page." in response.get_data(as_text=True)

    db.session.refresh(target)
    assert (target.role, target.active) == (Role.REFERRING, True)
    assert count_users(db) == before
    assert audit_actions(db) == []


def test_anonymous_visitors_are_sent_to_the_login_page(client, referring, db):
    response = client.get("/admin/users/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    response = client.post(f"/admin/users/{referring.id}/active", data={"active": "0"})
    assert response.status_code == 302
    db.session.refresh(referring)
    assert referring.active is True


def test_users_page_lists_everyone_for_the_admin(login_as, admin, referring, specialist):
    page = login_as(admin).get("/admin/users/").get_data(as_text=True)
    for user in (admin, referring, specialist):
        assert user.email in page
    assert "OC-BC-TIJ" in page  # the referring doctor's centre
    assert PASSWORD not in page
