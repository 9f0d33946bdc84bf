"""Personal API tokens: made on the profile page, shown once, stored hashed, revocable."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from telemed.audit.models import AuditEntry
from telemed.auth.models import ApiToken
from tests.conftest import login

TOKEN_RE = re.compile(r'<code class="user-select-all" id="new-token">([^<]+)</code>')


@pytest.fixture(autouse=True)
def english(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def create_token(client: FlaskClient, name: str = "Sistema del hospital") -> str:
    """Create a token on the profile page and read the secret it shows once."""
    response = client.post("/auth/tokens", data={"csrf_token": "page-token", "name": name})
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/profile"
    match = TOKEN_RE.search(client.get("/auth/profile").get_data(as_text=True))
    assert match, "the new token is shown on the profile page"
    return match.group(1)


def call_me(app: Flask, authorization: str | None) -> Any:
    """``GET /api/v1/me`` from a program: no cookies, only the Authorization header."""
    headers = {"Authorization": authorization} if authorization else {}
    return app.test_client().get("/api/v1/me", headers=headers)


def assert_api_401(response: Any) -> None:
    assert response.status_code == 401
    assert response.is_json
    body = response.get_json()
    assert body["code"] == 401
    assert body["status"] == "Unauthorized"
    assert body["message"]


def test_token_is_shown_once_and_only_its_sha256_is_stored(login_as, referring, db):
    client = login_as(referring)
    secret = create_token(client)
    assert secret.startswith("tm_") and len(secret) > 40

    token = db.session.scalars(select(ApiToken)).one()
    assert token.user_id == referring.id
    assert token.name == "Sistema del hospital"
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:10]
    stored = [str(getattr(token, c.key)) for c in ApiToken.__table__.columns]
    assert not any(secret in value for value in stored)

    page = client.get("/auth/profile").get_data(as_text=True)
    assert secret not in page  # never shown again ...
    assert f"{token.prefix}…" in page  # ... but recognisable by its start
    assert "Sistema del hospital" in page

    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "token.create")).one()
    assert (entry.actor_id, entry.object_id) == (referring.id, token.id)
    assert secret not in json.dumps(entry.details)


def test_bearer_token_authenticates_the_api(app, login_as, referring, db, clock):
    secret = create_token(login_as(referring))
    clock.advance(timedelta(hours=2))
    response = call_me(app, f"Bearer {secret}")
    assert response.status_code == 200
    me = response.get_json()
    assert me["email"] == "referente@hospital.test"
    assert me["role"] == "referring"
    assert me["centre"] == "OC-BC-TIJ"
    assert me["timezone"] == "America/Tijuana"
    assert "password" not in json.dumps(me)
    token = db.session.scalars(select(ApiToken)).one()
    assert token.last_used_at == clock()

    assert call_me(app, f"bearer {secret}").status_code == 200  # the scheme is case-insensitive


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ", "Bearer tm_not-a-real-token", "Basic cmVmZXJlbnRlOnNlY3JldA==", "tm_x"],
)
def test_api_without_a_valid_token_answers_401_json(app, referring, authorization):
    assert_api_401(call_me(app, authorization))


def test_token_does_not_open_the_door_with_its_prefix_or_hash(app, login_as, referring, db):
    secret = create_token(login_as(referring))
    token = db.session.scalars(select(ApiToken)).one()
    assert_api_401(call_me(app, f"Bearer {token.prefix}"))
    assert_api_401(call_me(app, f"Bearer {token.token_hash}"))
    assert call_me(app, f"Bearer {secret}").status_code == 200


def test_revoked_token_answers_401(app, login_as, referring, db):
    client = login_as(referring)
    secret = create_token(client)
    keep = create_token(client, "otro programa")
    token = db.session.scalars(select(ApiToken).where(ApiToken.name != "otro programa")).one()

    response = client.post(f"/auth/tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert_api_401(call_me(app, f"Bearer {secret}"))
    assert call_me(app, f"Bearer {keep}").status_code == 200  # only that one is revoked

    page = client.get("/auth/profile").get_data(as_text=True)
    assert token.prefix not in page
    assert client.post(f"/auth/tokens/{token.id}/revoke").status_code == 404  # already gone


def test_token_of_a_deactivated_user_answers_401(app, login_as, referring, admin):
    secret = create_token(login_as(referring))
    assert call_me(app, f"Bearer {secret}").status_code == 200

    admin_client = app.test_client()
    assert login(admin_client, admin).status_code == 302
    assert (
        admin_client.post(f"/admin/users/{referring.id}/active", data={"active": "0"}).status_code
        == 302
    )
    assert_api_401(call_me(app, f"Bearer {secret}"))


def test_another_user_cannot_revoke_my_token(app, login_as, referring, other_referring, db):
    secret = create_token(login_as(referring))
    token = db.session.scalars(select(ApiToken)).one()

    intruder = app.test_client()
    login(intruder, other_referring)
    assert intruder.get("/auth/profile").status_code == 200
    response = intruder.post(f"/auth/tokens/{token.id}/revoke")
    assert response.status_code == 404
    assert token.prefix not in intruder.get("/auth/profile").get_data(as_text=True)

    db.session.refresh(token)
    assert token.revoked_at is None
    assert call_me(app, f"Bearer {secret}").get_json()["email"] == referring.email


def test_a_token_is_tied_to_its_owner(app, login_as, referring, other_referring):
    mine = create_token(login_as(referring))
    client = app.test_client()
    login(client, other_referring)
    theirs = create_token(client)
    assert mine != theirs
    assert call_me(app, f"Bearer {mine}").get_json()["email"] == referring.email
    assert call_me(app, f"Bearer {theirs}").get_json()["email"] == other_referring.email


def test_token_pages_need_a_login(client, referring, db):
    assert client.get("/auth/profile").status_code == 302
    assert client.post("/auth/tokens", data={"name": "x"}).status_code == 302
    assert db.session.scalars(select(ApiToken)).all() == []
