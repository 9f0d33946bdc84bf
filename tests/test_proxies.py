"""Behind the HTTPS reverse proxy each client keeps its own address (its own login limit, its
own line in the audit log); without a configured proxy nobody can choose their address with
a header; and every "too many attempts" answer says how long to wait."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests

from telemed.audit.models import AuditEntry
from telemed.extensions import db

PROXY = "10.0.0.5"  # the reverse proxy: every request reaches the service from here
ATTEMPTS_ALLOWED = 10  # TELEMED_LOGIN_RATE_LIMIT's default, per minute and address


def through_proxy(app: Flask, client_address: str | None) -> FlaskClient:
    """A browser whose requests arrive from the proxy, which appends the browser's address."""
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": PROXY, "HTTP_ACCEPT_LANGUAGE": "en"})
    if client_address:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = client_address
        client.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"
    return client


def failed_login(client: FlaskClient, n: int, **extra: Any) -> int:
    """A wrong password for a different account each time (only the address limit counts)."""
    data = {"email": f"adivina{n}@hospital.test", "password": "not-the-password"}
    return client.post("/auth/login", data=data, **extra).status_code


def audited_addresses() -> list[str | None]:
    db.session.expire_all()
    rows = select(AuditEntry.ip_address).where(AuditEntry.action == "auth.login_failed")
    return list(db.session.scalars(rows.order_by(AuditEntry.id)))


@pytest.fixture
def one_proxy(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "PROXY_HOPS", 1)


def test_behind_one_proxy_clients_are_limited_apart_and_audited_by_their_address(app, one_proxy):
    first, second = through_proxy(app, "203.0.113.7"), through_proxy(app, "198.51.100.23")
    assert [failed_login(first, n) for n in range(ATTEMPTS_ALLOWED)] == [401] * ATTEMPTS_ALLOWED
    assert failed_login(first, 99) == 429
    # The colleague at another hospital, behind the same proxy, is not locked out.
    assert failed_login(second, 0) == 401
    assert set(audited_addresses()) == {"203.0.113.7", "198.51.100.23"}


def test_without_a_configured_proxy_a_forwarded_header_changes_nothing(app):
    """A client talking to the service directly cannot pick the address it is limited by."""
    assert app.config["PROXY_HOPS"] == 0
    client = through_proxy(app, None)
    statuses = [
        failed_login(client, n, headers={"X-Forwarded-For": f"192.0.2.{n}"})
        for n in range(ATTEMPTS_ALLOWED + 1)
    ]
    assert statuses == [401] * ATTEMPTS_ALLOWED + [429]
    assert set(audited_addresses()) == {PROXY}


# --- how long to wait -------------------------------------------------------------------------


def locked_out(app: Flask) -> FlaskClient:
    client = through_proxy(app, None)
    for n in range(ATTEMPTS_ALLOWED):
        failed_login(client, n)
    return client


def test_a_refused_login_page_says_when_to_try_again(app):
    client = locked_out(app)
    response = client.post("/auth/login", data={"email": "x@hospital.test", "password": "x"})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert 1 <= int(response.headers["Retry-After"]) <= 61  # within the minute's window


def test_the_certificate_check_says_when_to_try_again(app):
    public = app.test_client()
    responses = [public.get(f"/verify/AAAA-BBBB-CC{n:02d}") for n in range(31)]
    for response in responses:
        response.close()
    assert responses[-1].status_code == 429
    assert 1 <= int(responses[-1].headers["Retry-After"]) <= 61  # (whole seconds, rounded up)


def test_a_refused_api_answer_says_when_to_try_again_in_json(app, monkeypatch):
    def busy() -> None:
        raise TooManyRequests()

    monkeypatch.setitem(app.view_functions, "me_api.me", busy)
    response = app.test_client().get("/api/v1/me")
    assert response.status_code == 429
    assert response.get_json()["code"] == 429
    assert int(response.headers["Retry-After"]) >= 1
