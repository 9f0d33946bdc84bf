"""The second factor: setting it up with a QR code, logging in with a code (or a recovery
code), codes refused outside the window or twice, roles that must have one, turning it off,
an administrator's reset, and API tokens that need a recent code."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import config
from telemed.audit.models import AuditEntry
from telemed.auth import second_factor, tokens
from telemed.auth.models import ApiToken, LoginSession, RecoveryCode, User
from tests.conftest import PASSWORD, committed

STEP = timedelta(seconds=30)


@pytest.fixture(autouse=True)
def english(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def browser(app: Flask, language: str = "en") -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def enrolled(user: User, clock: Any) -> tuple[str, list[str]]:
    """Set up ``user``'s second factor as the set-up page does; the clock then moves on a step,
    as a person takes a while before the next login."""
    secret = second_factor.pending_secret(user)
    codes = second_factor.confirm_enrolment(user, pyotp.TOTP(secret).at(clock()))
    committed(None)
    clock.advance(STEP)
    return secret, codes


def key_on(page: str) -> str:
    """The key the set-up page shows for typing into the app."""
    found = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)
    assert found is not None
    return found.group(1).replace(" ", "")


def code_at(secret: str, moment: Any) -> str:
    return pyotp.TOTP(secret).at(moment)


def password(client: FlaskClient, user: User, **extra: str) -> Any:
    return client.post("/auth/login", data={"email": user.email, "password": PASSWORD, **extra})


def opens(client: FlaskClient, path: str = "/auth/profile") -> bool:
    response = client.get(path)
    if response.status_code in (302, 401):
        return False
    assert response.status_code == 200, response.status_code
    return True


def actions(db: Any) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def required(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Administrators and coordinators must have a second factor (production's default)."""
    monkeypatch.setitem(app.config, "REQUIRE_2FA_ROLES", config.ProductionConfig.REQUIRE_2FA_ROLES)


# --- setting it up ---------------------------------------------------------------------------


def test_setting_up_shows_a_qr_code_and_the_key_then_recovery_codes_once(app, referring, clock, db):
    client = browser(app)
    assert password(client, referring).status_code == 302
    page = client.get("/auth/second-factor/setup").get_data(as_text=True)
    assert "<svg" in page and 'class="totp-qr"' in page
    assert "style=" not in page[page.index("<svg") : page.index("</svg>")]  # CSP-safe
    key = key_on(page)
    reloaded = client.get("/auth/second-factor/setup").get_data(as_text=True)
    assert key_on(reloaded) == key  # a reload shows the same key

    wrong = client.post("/auth/second-factor/setup", data={"code": "000000"})
    assert wrong.status_code == 422
    assert "That code is not right" in wrong.get_data(as_text=True)

    done = client.post("/auth/second-factor/setup", data={"code": code_at(key, clock())})
    assert done.status_code == 200
    codes = re.findall(
        r"<code class=\"user-select-all\">([a-z0-9-]+)</code>", done.get_data(as_text=True)
    )
    assert len(codes) == 10 and len(set(codes)) == 10
    db.session.refresh(referring)
    assert referring.has_second_factor
    # The key is stored encrypted, the recovery codes as hashes.
    assert key not in referring.totp_secret and second_factor.unseal(referring.totp_secret) == key
    hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(hashes) == 10 and not any(c.replace("-", "") in hashes for c in codes)
    assert "auth.2fa_enrol" in actions(db)
    assert "Recovery codes left: 10." in client.get("/auth/profile").get_data(as_text=True)


def test_the_secret_opens_with_a_rotated_out_key(app, referring, monkeypatch):
    sealed = second_factor.seal("JBSWY3DPEHPK3PXP")
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-key")
    assert second_factor.unseal(sealed) is None
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", ["testing-secret"])
    assert second_factor.unseal(sealed) == "JBSWY3DPEHPK3PXP"


def test_a_login_reseals_the_key_under_the_new_secret(app, referring, clock, monkeypatch):
    secret, _codes = enrolled(referring, clock)
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-key")
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", ["testing-secret"])
    clock.advance(timedelta(minutes=1))
    assert second_factor.check_code(referring, pyotp.TOTP(secret).at(clock())) == "totp"
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
    assert second_factor.unseal(referring.totp_secret) == secret


# --- logging in --------------------------------------------------------------------------------


def test_after_the_password_only_the_code_page_opens_until_the_code(app, referring, clock, db):
    secret, _codes = enrolled(referring, clock)
    client = browser(app)
    response = password(client, referring, next="/cases/")
    assert response.headers["Location"] == "/auth/login/code"
    assert db.session.scalars(select(LoginSession)).all() == []  # no login yet
    # Half logged in: nothing opens, not the pages and not the API.
    assert client.get("/cases/").headers["Location"].startswith("/auth/login")
    assert client.get("/auth/profile").status_code == 302
    assert client.get("/api/v1/me").status_code == 401
    assert "Verification code" in client.get("/auth/login/code").get_data(as_text=True)

    response = client.post("/auth/login/code", data={"code": code_at(secret, clock())})
    assert response.headers["Location"] == "/cases/"
    assert opens(client)
    assert client.get("/api/v1/me").status_code == 200
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login")).one()
    assert entry.details["second_factor"] == "totp"


def test_the_code_page_without_a_password_first_sends_to_the_login(app, referring, clock):
    enrolled(referring, clock)
    client = browser(app)
    assert client.get("/auth/login/code").headers["Location"] == "/auth/login"
    assert client.post("/auth/login/code", data={"code": "123456"}).status_code == 302
    assert not opens(client)


def test_a_code_from_one_step_either_side_is_accepted_two_steps_ago_refused(app, referring, clock):
    secret, _ = enrolled(referring, clock)
    for offset, accepted in ((-2, False), (2, False), (-1, True), (1, True)):
        clock.advance(STEP * 3)  # each try a fresh step, later than the last one accepted
        client = browser(app)
        password(client, referring)
        code = code_at(secret, clock() + STEP * offset)
        response = client.post("/auth/login/code", data={"code": code})
        assert (response.status_code == 302) is accepted, (offset, response.status_code)
        assert opens(client) is accepted


def test_a_code_already_used_is_refused(app, referring, clock, db):
    secret, _ = enrolled(referring, clock)
    code = code_at(secret, clock())
    first = browser(app)
    password(first, referring)
    assert first.post("/auth/login/code", data={"code": code}).status_code == 302

    clock.advance(timedelta(seconds=5))  # the same step: the code on the screen is the same
    second = browser(app)
    password(second, referring)
    response = second.post("/auth/login/code", data={"code": code})
    assert response.status_code == 401
    assert "That code is not right" in response.get_data(as_text=True)
    assert not opens(second)
    # An older code than the one used is refused too, even within the window.
    assert (
        second.post("/auth/login/code", data={"code": code_at(secret, clock() - STEP)}).status_code
        == 401
    )
    # The failures stayed in the audit log although the answers were errors.
    assert actions(db).count("auth.2fa_failed") == 2


def test_a_recovery_code_works_once(app, referring, clock, db):
    _secret, codes = enrolled(referring, clock)
    first = browser(app)
    password(first, referring)
    response = first.post(
        "/auth/login/code", data={"code": codes[3].upper()}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "You used a recovery code; 9 are left." in response.get_data(as_text=True)

    again = browser(app)
    password(again, referring)
    assert again.post("/auth/login/code", data={"code": codes[3]}).status_code == 401
    assert not opens(again)
    assert again.post("/auth/login/code", data={"code": codes[4]}).status_code == 302
    assert actions(db).count("auth.recovery_code_used") == 2


def test_the_code_page_speaks_spanish(app, referring, clock):
    enrolled(referring, clock)
    client = browser(app, "es-MX")
    password(client, referring)
    page = client.get("/auth/login/code").get_data(as_text=True)
    assert "Código de verificación" in page and "código de recuperación" in page
    error = client.post("/auth/login/code", data={"code": "000000"}).get_data(as_text=True)
    assert "Ese código no es correcto" in error


def test_the_half_way_state_expires(app, referring, clock):
    secret, _ = enrolled(referring, clock)
    client = browser(app)
    password(client, referring)
    clock.advance(timedelta(minutes=11))
    response = client.post("/auth/login/code", data={"code": code_at(secret, clock())})
    assert response.headers["Location"] == "/auth/login"
    assert not opens(client)


# --- roles that must have one --------------------------------------------------------------------


def test_an_administrator_without_one_is_sent_to_set_it_up_and_reaches_nothing_else(
    app, admin, clock, required, db
):
    client = browser(app, "es-MX")
    response = password(client, admin, next="/admin/users/")
    assert response.headers["Location"] == "/auth/second-factor/setup"
    assert client.get("/admin/users/").status_code == 302
    assert client.get("/api/v1/me").status_code == 401
    page = client.get("/auth/second-factor/setup").get_data(as_text=True)
    assert "Su rol debe iniciar sesión con un código" in page
    key = key_on(page)

    done = client.post("/auth/second-factor/setup", data={"code": code_at(key, clock())})
    assert done.status_code == 200
    assert 'href="/admin/users/"' in done.get_data(as_text=True)  # continue where it was going
    assert client.get("/admin/users/").status_code == 200
    assert actions(db) == ["auth.2fa_enrol", "auth.login"]


def test_a_logged_in_user_whose_role_now_needs_one_reaches_only_the_set_up(
    app, coordinator, monkeypatch
):
    client = browser(app)
    password(client, coordinator)
    assert opens(client, "/cases/")
    monkeypatch.setitem(app.config, "REQUIRE_2FA_ROLES", ("coordinator",))
    assert client.get("/cases/").headers["Location"] == "/auth/second-factor/setup"
    assert client.get("/api/v1/me").status_code == 403
    assert client.get("/auth/second-factor/setup").status_code == 200
    assert client.post("/auth/logout").status_code == 302


def test_the_development_default_lets_demo_accounts_in_with_the_password(app, admin):
    assert config.DevelopmentConfig.REQUIRE_2FA_ROLES == ()
    assert config.TestingConfig.REQUIRE_2FA_ROLES == ()
    assert config.ProductionConfig.REQUIRE_2FA_ROLES == ("admin", "coordinator")
    client = browser(app)
    assert password(client, admin).headers["Location"] == "/"
    assert opens(client, "/admin/users/")


def test_an_unknown_role_in_the_setting_is_refused_at_start_up(monkeypatch):
    monkeypatch.setenv("TELEMED_REQUIRE_2FA_ROLES", "admin, coordinador")
    roles = config.env_words("REQUIRE_2FA_ROLES", "none")
    with pytest.raises(config.ConfigError, match="coordinador"):
        config.validate({"ENV_NAME": "testing", "REQUIRE_2FA_ROLES": roles})
    monkeypatch.setenv("TELEMED_REQUIRE_2FA_ROLES", "none")
    assert config.env_words("REQUIRE_2FA_ROLES", "admin") == ()


# --- turning it off, and an administrator's reset ------------------------------------------------


def test_turning_it_off_asks_for_a_current_code(app, referring, clock, db):
    secret, _ = enrolled(referring, clock)
    client = browser(app)
    password(client, referring)
    client.post("/auth/login/code", data={"code": code_at(secret, clock())})
    clock.advance(STEP)

    response = client.post(
        "/auth/second-factor/disable", data={"code": "000000"}, follow_redirects=True
    )
    assert "the second factor stays on" in response.get_data(as_text=True)
    db.session.refresh(referring)
    assert referring.has_second_factor

    response = client.post(
        "/auth/second-factor/disable",
        data={"code": code_at(secret, clock())},
        follow_redirects=True,
    )
    assert "The second factor is off" in response.get_data(as_text=True)
    db.session.refresh(referring)
    assert not referring.has_second_factor and referring.totp_secret is None
    assert db.session.scalars(select(RecoveryCode)).all() == []
    assert actions(db)[-2:] == ["auth.2fa_failed", "auth.2fa_disable"]
    client.post("/auth/logout")
    assert password(client, referring).headers["Location"] == "/"  # the password alone again


def test_a_role_that_must_have_one_cannot_turn_it_off(app, coordinator, clock, required, db):
    secret, _ = enrolled(coordinator, clock)
    client = browser(app)
    password(client, coordinator)
    client.post("/auth/login/code", data={"code": code_at(secret, clock())})
    clock.advance(STEP)
    assert "Turn off the second factor" not in client.get("/auth/profile").get_data(as_text=True)
    response = client.post(
        "/auth/second-factor/disable",
        data={"code": code_at(secret, clock())},
        follow_redirects=True,
    )
    assert "Your role must log in with a second factor." in response.get_data(as_text=True)
    db.session.refresh(coordinator)
    assert coordinator.has_second_factor


def test_an_administrator_resets_a_lost_second_factor_and_ends_the_sessions(
    app, referring, admin, clock, db
):
    secret, _ = enrolled(referring, clock)
    doctor = browser(app)
    password(doctor, referring)
    doctor.post("/auth/login/code", data={"code": code_at(secret, clock())})
    assert opens(doctor)
    boss = browser(app)
    password(boss, admin)
    page = boss.get(f"/admin/users/{referring.id}/edit").get_data(as_text=True)
    assert 'id="reset-second-factor"' in page

    response = boss.post(f"/admin/users/{referring.id}/second-factor/reset", follow_redirects=True)
    assert "was removed and their sessions ended" in response.get_data(as_text=True)
    assert not opens(doctor)
    db.session.refresh(referring)
    assert not referring.has_second_factor
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "user.2fa_reset")
    ).one()
    assert (entry.actor_id, entry.object_id, entry.details) == (
        admin.id,
        referring.id,
        {"sessions_ended": 1},
    )
    assert password(doctor, referring).headers["Location"] == "/"


def test_only_administrators_reset_a_second_factor(app, referring, coordinator, clock):
    enrolled(referring, clock)
    client = browser(app)
    password(client, coordinator)
    assert client.post(f"/admin/users/{referring.id}/second-factor/reset").status_code == 403


def test_the_command_line_resets_the_last_administrators_second_factor(app, admin, clock, db):
    enrolled(admin, clock)
    result = app.test_cli_runner().invoke(args=["users", "reset-2fa", "ADMIN@hospital.test"])
    assert result.exit_code == 0, result.output
    db.session.refresh(admin)
    assert not admin.has_second_factor
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "user.2fa_reset")
    ).one()
    assert (entry.actor_id, entry.object_id) == (None, admin.id)
    missing = app.test_cli_runner().invoke(args=["users", "reset-2fa", "nadie@hospital.test"])
    assert missing.exit_code == 2


# --- API tokens ----------------------------------------------------------------------------------


def tokens_of(db: Any, user: User) -> int:
    db.session.expire_all()
    return len(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all())


def test_a_token_needs_a_second_factor_checked_in_the_last_15_minutes(app, referring, clock, db):
    secret, _ = enrolled(referring, clock)
    client = browser(app)
    password(client, referring)
    client.post("/auth/login/code", data={"code": code_at(secret, clock())})
    clock.advance(timedelta(minutes=15))
    assert 'id="token-code"' not in client.get("/auth/profile").get_data(as_text=True)
    assert client.post("/auth/tokens", data={"name": "HIS"}).status_code == 302
    assert tokens_of(db, referring) == 1

    clock.advance(timedelta(minutes=1))  # 16 minutes after the code
    assert 'id="token-code"' in client.get("/auth/profile").get_data(as_text=True)
    response = client.post("/auth/tokens", data={"name": "HIS 2"}, follow_redirects=True)
    assert "Enter a current code from your authenticator app" in response.get_data(as_text=True)
    assert tokens_of(db, referring) == 1
    response = client.post("/auth/tokens", data={"name": "HIS 2", "code": "000000"})
    assert tokens_of(db, referring) == 1

    response = client.post("/auth/tokens", data={"name": "HIS 2", "code": code_at(secret, clock())})
    assert response.status_code == 302
    assert tokens_of(db, referring) == 2
    assert actions(db).count("auth.2fa_failed") == 2


def test_a_token_needs_no_code_from_someone_without_a_second_factor(app, referring, db):
    client = browser(app)
    password(client, referring)
    assert 'id="token-code"' not in client.get("/auth/profile").get_data(as_text=True)
    assert client.post("/auth/tokens", data={"name": "HIS"}).status_code == 302
    assert tokens_of(db, referring) == 1


def test_tokens_work_without_the_second_factor(app, referring, clock):
    enrolled(referring, clock)
    _token, secret = tokens.create_token(referring, "HIS")
    committed(None)
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
