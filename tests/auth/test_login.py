"""Logging in and out, throttled guessing, safe redirects, cookies and changing a password."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from telemed.audit.models import AuditEntry
from telemed.auth.models import Role, User
from tests.conftest import PASSWORD, login

WRONG = "not-the-password"
NEW_PASSWORD = "nuevo-caballo-77"


@pytest.fixture(autouse=True)
def english(client: FlaskClient) -> None:
    """Pages in English, so messages can be read by the assertions."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def new_client(app: Flask, remote_addr: str = "127.0.0.1") -> FlaskClient:
    other = app.test_client()
    other.environ_base.update({"HTTP_ACCEPT_LANGUAGE": "en", "REMOTE_ADDR": remote_addr})
    return other


def is_logged_in(client: FlaskClient) -> bool:
    response = client.get("/auth/profile")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/auth/login")
        return False
    assert response.status_code == 200
    return True


def post_login(client: FlaskClient, email: str, password: str, **extra: str) -> Any:
    return client.post("/auth/login", data={"email": email, "password": password, **extra})


# --- logging in and out ------------------------------------------------------------------


def test_right_password_goes_to_the_start_page(client, referring, db, clock):
    assert not is_logged_in(client)
    response = login(client, referring)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/cases/"
    assert is_logged_in(client)
    db.session.refresh(referring)
    assert referring.last_login_at == clock()


@pytest.mark.parametrize("password", [WRONG, "", PASSWORD.upper()])
def test_wrong_password_answers_401_with_a_readable_message(client, referring, password):
    response = post_login(client, referring.email, password)
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Wrong email or password" in page
    assert 'value="referente@hospital.test"' in page  # the email is kept for the next try
    assert "Traceback" not in page
    assert not is_logged_in(client)


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client, referring):
    unknown = post_login(client, "nadie@hospital.test", PASSWORD)
    wrong = post_login(client, referring.email, WRONG)
    assert unknown.status_code == wrong.status_code == 401
    assert "Wrong email or password" in unknown.get_data(as_text=True)
    assert not is_logged_in(client)


def test_inactive_account_cannot_log_in_even_with_the_right_password(client, make_user, centre, db):
    user = make_user(Role.REFERRING, centre_id=centre.id, active=False)
    response = login(client, user)
    assert response.status_code == 401
    assert "Wrong email or password, or the account is inactive" in response.get_data(as_text=True)
    assert not is_logged_in(client)
    failures = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "auth.login_failed")
    ).all()
    assert [(e.actor_id, e.object_id) for e in failures] == [(user.id, user.id)]


def test_email_is_case_insensitive(client, referring):
    response = post_login(client, "  Referente@HOSPITAL.test ", PASSWORD)
    assert response.status_code == 302
    assert is_logged_in(client)


def test_logout_is_post_only_and_ends_the_session(login_as, referring):
    client = login_as(referring)
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert is_logged_in(client)  # a link or an image cannot log anyone out

    response = client.post("/auth/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert not is_logged_in(client)
    assert client.get("/cases/").status_code == 302


def test_session_cookie_is_http_only_and_same_site_lax(client, referring):
    response = post_login(client, referring.email, PASSWORD, remember="1")
    assert response.status_code == 302
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert "session" in cookies and "remember_token" in cookies
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name], cookies[name]
        assert "SameSite=Lax" in cookies[name], cookies[name]


# --- throttling --------------------------------------------------------------------------


def test_sixth_try_for_one_account_is_refused_even_with_the_right_password(app, client, referring):
    for _ in range(5):
        assert post_login(client, referring.email, WRONG).status_code == 401
    response = login(client, referring)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert not is_logged_in(client)

    # The same account from another address is throttled too (the key is the email) ...
    elsewhere = new_client(app, remote_addr="127.0.0.2")
    assert post_login(elsewhere, "REFERENTE@hospital.test", PASSWORD).status_code == 429
    assert not is_logged_in(elsewhere)


def test_throttling_one_account_does_not_lock_out_colleagues(client, referring, make_user):
    colleague = make_user(Role.REFERRING, centre_id=referring.centre_id)
    for _ in range(5):
        post_login(client, referring.email, WRONG)
    assert post_login(client, referring.email, PASSWORD).status_code == 429
    assert login(client, colleague).status_code == 302
    assert is_logged_in(client)


def test_one_address_is_limited_to_ten_tries_a_minute(app, client, referring):
    for n in range(10):
        assert post_login(client, f"adivina{n}@hospital.test", WRONG).status_code == 401
    response = login(client, referring)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert not is_logged_in(client)

    elsewhere = new_client(app, remote_addr="127.0.0.3")
    assert login(elsewhere, referring).status_code == 302


# --- where the login sends you -----------------------------------------------------------


def test_login_returns_to_the_page_that_asked_for_it(client, referring):
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/cases/"
    page = client.get("/auth/login?next=/cases/").get_data(as_text=True)
    assert 'name="next" value="/cases/"' in page
    response = client.post(
        "/auth/login?next=/cases/", data={"email": referring.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/cases/"


def test_next_given_as_a_form_field_is_followed_too(client, referring):
    response = post_login(client, referring.email, PASSWORD, next="/centres/")
    assert response.headers["Location"] == "/centres/"


EVIL_TARGETS = [
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    "evil.example",
]


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_next_pointing_elsewhere_falls_back_to_the_start_page(client, referring, target):
    page = client.get("/auth/login", query_string={"next": target}).get_data(as_text=True)
    form = page[page.index('action="/auth/login"') :].split("</form>", 1)[0]
    assert 'name="next"' not in form  # the unsafe target is not carried into the form

    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"email": referring.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"

    # Already logged in: the login page redirects, and still only to this site.
    response = client.get("/auth/login", query_string={"next": target})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", EVIL_TARGETS[:3])
def test_language_switch_does_not_redirect_elsewhere(client, target):
    response = client.post("/auth/language", data={"locale": "en", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# --- passwords ---------------------------------------------------------------------------


def password_form(current: str, new: str, confirm: str | None = None) -> dict[str, str]:
    """The change-password form as a browser sends it (with its CSRF field)."""
    return {
        "csrf_token": "token-from-the-page",
        "current_password": current,
        "new_password": new,
        "confirm_password": new if confirm is None else confirm,
    }


def test_password_hashes_are_scrypt_not_plaintext(login_as, admin, db):
    client = login_as(admin)
    response = client.post(
        "/admin/users/new",
        data={"email": "hash@hospital.test", "name": "Dr. Hash", "role": "coordinator",
              "password": "plain-text-secret", "active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "hash@hospital.test")).one()
    assert user.password_hash.startswith("scrypt:")
    assert "plain-text-secret" not in user.password_hash
    assert user.check_password("plain-text-secret")
    assert not user.check_password("plain-text-secreT")


def test_wrong_current_password_is_shown_beside_the_field(login_as, referring, db):
    client = login_as(referring)
    before = referring.password_hash
    response = client.post("/auth/password", data=password_form(WRONG, NEW_PASSWORD))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="current_password-error"' in page
    assert "The current password is wrong" in page
    db.session.refresh(referring)
    assert referring.password_hash == before
    assert referring.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("new", "confirm", "field"),
    [(NEW_PASSWORD, "nuevo-caballo-78", "confirm_password"), ("corta", "corta", "new_password")],
)
def test_bad_new_password_is_refused_and_nothing_changes(
    login_as, referring, db, new, confirm, field
):
    client = login_as(referring)
    before = referring.password_hash
    response = client.post("/auth/password", data=password_form(PASSWORD, new, confirm))
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    db.session.refresh(referring)
    assert referring.password_hash == before
    assert is_logged_in(client)


def test_changing_the_password_logs_out_other_sessions(app, login_as, referring, db):
    laptop = login_as(referring)
    phone = new_client(app)
    assert login(phone, referring).status_code == 302
    assert is_logged_in(phone)

    response = laptop.post("/auth/password", data=password_form(PASSWORD, NEW_PASSWORD))
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/profile"
    assert "Other sessions were logged out" in laptop.get("/auth/profile").get_data(as_text=True)

    assert is_logged_in(laptop)  # the session that changed it goes on
    assert not is_logged_in(phone)  # every other session ends

    db.session.refresh(referring)
    assert referring.password_hash.startswith("scrypt:")
    assert NEW_PASSWORD not in referring.password_hash
    fresh = new_client(app)
    assert login(fresh, referring, PASSWORD).status_code == 401
    assert login(fresh, referring, NEW_PASSWORD).status_code == 302
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "user.password_change")
    ).all()
    assert [e.actor_id for e in entries] == [referring.id]


def test_password_page_needs_a_login(client):
    response = client.get("/auth/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=/auth/password")
    response = client.post("/auth/password", data=password_form(PASSWORD, NEW_PASSWORD))
    assert response.status_code == 302
