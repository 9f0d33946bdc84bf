"""Logins kept on the server: a cookie copied before logout opens nothing afterwards, on any
server; idle and old logins expire; the profile lists and ends them; all of it audited."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import config
from telemed import create_app
from telemed.audit.models import AuditEntry
from telemed.auth.models import LoginSession, Role, User
from telemed.core.clock import Clock
from telemed.extensions import db as _db
from tests.conftest import PASSWORD, START, login

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"


@pytest.fixture(autouse=True)
def english(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def session_limits(app: Flask, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """The limits every environment starts with (the shared test app never expires logins)."""
    idle, most = config.TestingConfig.SESSION_IDLE_MINUTES, config.TestingConfig.SESSION_MAX_HOURS
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", idle)
    monkeypatch.setitem(app.config, "SESSION_MAX_HOURS", most)
    return idle, most


def browser(app: Flask, agent: str = CHROME, address: str = "127.0.0.1") -> FlaskClient:
    client = app.test_client()
    client.environ_base.update(
        {"HTTP_ACCEPT_LANGUAGE": "en", "HTTP_USER_AGENT": agent, "REMOTE_ADDR": address}
    )
    return client


def cookie(client: FlaskClient, name: str) -> str | None:
    """A cookie's value as the browser keeps it (for copying it elsewhere)."""
    found = [c for c in client._cookies.values() if c.key == name]
    return found[0].value if found else None


def copy_cookies(source: FlaskClient, target: FlaskClient, *names: str) -> None:
    for name in names:
        value = cookie(source, name)
        assert value is not None, f"no {name} cookie"
        target.set_cookie(name, value, domain=source_domain(source, name))


def source_domain(client: FlaskClient, name: str) -> str:
    return next(c.domain for c in client._cookies.values() if c.key == name)


def opens(client: FlaskClient, path: str = "/auth/profile") -> bool:
    response = client.get(path)
    if response.status_code == 302:
        assert "/auth/login" in response.headers["Location"]
        return False
    assert response.status_code == 200, response.status_code
    return True


def actions(user: User | None = None) -> list[str]:
    query = select(AuditEntry.action).order_by(AuditEntry.id)
    if user is not None:
        query = query.where(AuditEntry.object_id == user.id)
    return list(_db.session.scalars(query))


def session_rows(user: User) -> list[LoginSession]:
    _db.session.expire_all()
    return list(
        _db.session.scalars(
            select(LoginSession).where(LoginSession.user_id == user.id).order_by(LoginSession.id)
        )
    )


# --- the security review's finding -----------------------------------------------------------


def test_cookies_copied_before_logout_open_nothing_afterwards(app, admin):
    """Review finding: the session cookie and the remember-me cookie copied before logout,
    replayed afterwards, each opened /admin/users/ (200)."""
    laptop = browser(app)
    response = laptop.post(
        "/auth/login", data={"email": admin.email, "password": PASSWORD, "remember": "1"}
    )
    assert response.status_code == 302
    assert laptop.get("/admin/users/").status_code == 200
    with_session, with_remember = browser(app), browser(app)
    copy_cookies(laptop, with_session, "session")
    copy_cookies(laptop, with_remember, "remember_token")
    assert with_session.get("/admin/users/").status_code == 200  # the copies work before ...
    assert with_remember.get("/admin/users/").status_code == 200

    assert laptop.post("/auth/logout").status_code == 302

    # ... and after the logout neither opens anything, nor do fresh copies of them.
    assert with_session.get("/admin/users/").status_code == 302
    assert with_remember.get("/admin/users/").status_code == 302
    assert session_rows(admin) == []
    assert "auth.logout" in actions()


def test_the_cookies_carry_only_a_random_id_whose_hash_the_database_keeps(app, referring):
    laptop = browser(app)
    laptop.post(
        "/auth/login", data={"email": referring.email, "password": PASSWORD, "remember": "1"}
    )
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    token = serializer.loads(cookie(laptop, "session"))["_user_id"]
    assert token.startswith("ls_") and len(token) > 40
    assert cookie(laptop, "remember_token").split("|")[0] == token
    [row] = session_rows(referring)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(row.__dict__)


def test_a_forged_cookie_with_the_old_user_id_format_opens_nothing(app, referring):
    """Before, the cookie said ``<id>:<version>``: a signed cookie saying that opens nothing."""
    thief = browser(app)
    with thief.session_transaction() as session:
        session["_user_id"] = f"{referring.id}:1"
        session["_fresh"] = True
    assert not opens(thief)
    with thief.session_transaction() as session:
        session["_user_id"] = f"user-{referring.id}"  # what User.get_id says
    assert not opens(thief)


# --- several servers on one database ---------------------------------------------------------


@pytest.fixture
def two_servers(app: Flask, tmp_path: Any) -> Iterator[tuple[Flask, Flask]]:
    """Two application instances (as two workers or two machines) on one database: the
    PostgreSQL test database when there is one, otherwise one SQLite file."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    shared_file = url == "sqlite://"
    if shared_file:
        url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    clock = Clock()
    clock.set(START)
    servers = tuple(
        create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "CLOCK": clock}) for _ in range(2)
    )
    if shared_file:
        with servers[0].app_context():
            _db.create_all()
    yield servers[0], servers[1]
    for server in servers:
        with server.app_context():
            _db.session.remove()
            _db.engine.dispose()


def make_account(server: Flask, password_hash: str, role: Role = Role.ADMIN) -> str:
    with server.app_context():
        user = User(email="dra.torres@hospital.test", name="Dra. Torres", role=role,
                    password_hash=password_hash)  # fmt: skip
        _db.session.add(user)
        _db.session.commit()
        return user.email


def test_logout_on_one_server_refuses_the_cookie_on_the_other(two_servers, password_hash):
    first, second = two_servers
    email = make_account(first, password_hash)
    on_first = browser(first)
    assert (
        on_first.post(
            "/auth/login", data={"email": email, "password": PASSWORD, "remember": "1"}
        ).status_code
        == 302
    )
    on_second, remembered = browser(second), browser(second)
    copy_cookies(on_first, on_second, "session")  # the balancer sends the next click elsewhere
    copy_cookies(on_first, remembered, "remember_token")
    assert on_second.get("/admin/users/").status_code == 200
    assert remembered.get("/admin/users/").status_code == 200

    assert on_first.post("/auth/logout").status_code == 302

    assert on_second.get("/admin/users/").status_code == 302
    assert remembered.get("/admin/users/").status_code == 302


def test_revoking_on_one_server_refuses_that_browser_on_the_other(two_servers, password_hash):
    first, second = two_servers
    email = make_account(first, password_hash)
    office, phone = browser(first, CHROME), browser(second, FIREFOX, "10.0.0.7")
    for client in (office, phone):
        assert (
            client.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code
            == 302
        )
    page = office.get("/auth/profile").get_data(as_text=True)
    assert "Firefox · Windows" in page and "10.0.0.7" in page
    with first.app_context():
        phone_id = _db.session.scalar(
            select(LoginSession.id).where(LoginSession.ip_address == "10.0.0.7")
        )

    response = office.post(f"/auth/sessions/{phone_id}/revoke")
    assert response.status_code == 302

    assert not opens(phone)
    assert opens(office)
    assert second.test_client().get("/").status_code == 302  # the second server still serves


def test_a_login_expires_on_every_server_as_the_clock_moves(two_servers, password_hash):
    first, second = two_servers
    email = make_account(first, password_hash)
    on_first = browser(first)
    on_first.post("/auth/login", data={"email": email, "password": PASSWORD})
    on_second = browser(second)
    copy_cookies(on_first, on_second, "session")
    clock = first.extensions["telemed.clock"]

    clock.advance(timedelta(minutes=29))
    assert opens(on_second)  # seen on the second server: the first one knows it too
    clock.advance(timedelta(minutes=29))
    assert opens(on_first)
    clock.advance(timedelta(minutes=31))
    assert not opens(on_first)
    assert not opens(on_second)


# --- expiry ----------------------------------------------------------------------------------


def test_an_idle_login_ends_after_the_idle_limit(app, client, referring, clock, session_limits):
    idle, _most = session_limits
    assert idle == 30
    assert login(client, referring).status_code == 302
    clock.advance(timedelta(minutes=idle))
    assert opens(client)  # thirty minutes idle: still in
    clock.advance(timedelta(minutes=idle, seconds=1))
    assert not opens(client)
    assert session_rows(referring) == []  # the expired row is gone
    assert login(client, referring).status_code == 302  # and logging in again works
    assert opens(client)


def test_the_remember_me_cookie_does_not_outlive_the_idle_limit(
    app, referring, clock, session_limits
):
    laptop = browser(app)
    laptop.post(
        "/auth/login", data={"email": referring.email, "password": PASSWORD, "remember": "1"}
    )
    laptop.delete_cookie("session", domain=source_domain(laptop, "session"))  # browser restarted
    assert opens(laptop)  # the remember-me cookie logs back in ...
    laptop.delete_cookie("session", domain=source_domain(laptop, "session"))
    clock.advance(timedelta(minutes=31))
    assert not opens(laptop)  # ... but not into an expired login


def test_a_login_ends_after_the_absolute_limit_however_busy(
    app, client, referring, clock, session_limits
):
    _idle, most = session_limits
    assert most == 12
    login(client, referring)
    for _ in range(most * 3):  # a click every twenty minutes for twelve hours
        clock.advance(timedelta(minutes=20))
        assert opens(client)
    clock.advance(timedelta(minutes=1))
    assert not opens(client)


def test_last_seen_is_written_at_most_once_a_minute(client, referring, clock, db):
    login(client, referring)
    [row] = session_rows(referring)
    assert row.last_seen_at == START
    clock.advance(timedelta(seconds=59))
    opens(client)
    assert session_rows(referring)[0].last_seen_at == START  # no write for every request
    clock.advance(timedelta(seconds=1))
    opens(client)
    assert session_rows(referring)[0].last_seen_at == START + timedelta(minutes=1)


def test_expiry_limits_are_the_same_in_every_environment():
    for settings in (config.DevelopmentConfig, config.TestingConfig, config.ProductionConfig):
        assert (settings.SESSION_IDLE_MINUTES, settings.SESSION_MAX_HOURS) == (30, 12)
        remembered_for = settings.REMEMBER_COOKIE_DURATION
        assert remembered_for == timedelta(hours=12)


# --- the profile's list ----------------------------------------------------------------------


def test_the_profile_lists_logins_marks_this_one_and_signs_out_one(app, referring, db):
    office, home = browser(app, CHROME, "192.0.2.10"), browser(app, FIREFOX, "198.51.100.4")
    for client in (office, home):
        assert login(client, referring).status_code == 302
    page = office.get("/auth/profile").get_data(as_text=True)
    table = page[page.index('id="sessions-table"') :].split("</table>", 1)[0]
    assert table.count("<tr") == 3  # the heading and two logins
    assert "Chrome · Linux" in table and "Firefox · Windows" in table
    assert "192.0.2.10" in table and "198.51.100.4" in table
    mine = table[table.index("this session") - 400 : table.index("this session")]
    assert "Chrome · Linux" in mine

    office_row, home_row = session_rows(referring)
    response = office.post(f"/auth/sessions/{home_row.id}/revoke", follow_redirects=True)
    assert "That session was signed out." in response.get_data(as_text=True)
    assert not opens(home)
    assert opens(office)
    assert [r.id for r in session_rows(referring)] == [office_row.id]
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "auth.session_revoked")
    ).one()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        referring.id,
        "login_session",
        home_row.id,
    )


def test_signing_out_this_login_from_the_list_logs_out(app, referring):
    office = browser(app)
    login(office, referring)
    [row] = session_rows(referring)
    response = office.post(f"/auth/sessions/{row.id}/revoke")
    assert response.headers["Location"] == "/auth/login"
    assert not opens(office)


def test_nobody_signs_out_someone_elses_login(app, referring, other_referring):
    theirs = browser(app)
    login(theirs, other_referring)
    [row] = session_rows(other_referring)
    mine = browser(app)
    login(mine, referring)
    assert mine.post(f"/auth/sessions/{row.id}/revoke").status_code == 404
    assert opens(theirs)


def test_sign_out_everywhere_else_keeps_only_this_login(app, referring, db):
    office, home, phone = browser(app), browser(app), browser(app)
    for client in (office, home, phone):
        login(client, referring)
    response = office.post("/auth/sessions/revoke-others", follow_redirects=True)
    assert "Every other session was signed out." in response.get_data(as_text=True)
    assert (opens(office), opens(home), opens(phone)) == (True, False, False)
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "auth.sessions_revoked")
    ).one()
    assert entry.details == {"count": 2}


# --- ended by the account's changes ----------------------------------------------------------


def test_a_password_change_ends_the_other_logins_and_their_remember_cookies(app, referring, db):
    laptop, phone = browser(app), browser(app)
    login(laptop, referring)
    phone.post(
        "/auth/login", data={"email": referring.email, "password": PASSWORD, "remember": "1"}
    )
    copied = browser(app)
    copy_cookies(phone, copied, "remember_token")
    response = laptop.post(
        "/auth/password",
        data={"current_password": PASSWORD, "new_password": "nuevo-caballo-77",
              "confirm_password": "nuevo-caballo-77"},
    )  # fmt: skip
    assert response.status_code == 302
    assert (opens(laptop), opens(phone), opens(copied)) == (True, False, False)
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "user.password_change")
    ).one()
    assert entry.details == {"sessions_ended": 1}


def test_deactivation_by_an_administrator_ends_every_login(app, referring, admin, db):
    doctor = browser(app)
    doctor.post(
        "/auth/login", data={"email": referring.email, "password": PASSWORD, "remember": "1"}
    )
    boss = browser(app)
    login(boss, admin)
    assert boss.post(f"/admin/users/{referring.id}/active", data={"active": "0"}).status_code == 302
    assert not opens(doctor)
    assert session_rows(referring) == []
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "user.deactivate")
    ).one()
    assert entry.details == {"sessions_ended": 1}
    # Reactivated, the old cookies still open nothing: a new login is needed.
    boss.post(f"/admin/users/{referring.id}/active", data={"active": "1"})
    assert not opens(doctor)


# --- the audit ---------------------------------------------------------------------------------


def test_logins_failures_and_logouts_are_audited_without_the_password(app, referring, db):
    office = browser(app, address="203.0.113.9")
    assert (
        office.post(
            "/auth/login", data={"email": "Nadie@Hospital.test", "password": "adivina-1"}
        ).status_code
        == 401
    )
    assert (
        office.post(
            "/auth/login", data={"email": referring.email, "password": "adivina-2"}
        ).status_code
        == 401
    )
    assert login(office, referring).status_code == 302
    assert office.post("/auth/logout").status_code == 302

    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_id) for e in entries] == [
        ("auth.login_failed", None),
        ("auth.login_failed", referring.id),
        ("auth.login", referring.id),
        ("auth.logout", referring.id),
    ]
    assert entries[0].details == {"email": "nadie@hospital.test"}
    assert entries[1].details == {"email": referring.email}
    assert {e.ip_address for e in entries} == {"203.0.113.9"}
    assert "adivina" not in repr([e.details for e in entries])


def test_a_rotated_key_keeps_logins_while_it_is_a_fallback(app, tmp_path, password_hash):
    """Rotating TELEMED_SECRET_KEY with the old key in TELEMED_SECRET_KEY_FALLBACKS keeps
    people logged in; removing the fallback ends those logins."""
    old, new = "o" * 40, "n" * 40
    url = f"sqlite:///{tmp_path / 'rotation.sqlite3'}"
    clock = Clock()
    clock.set(START)

    def server(**keys: Any) -> Flask:
        return create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "CLOCK": clock, **keys})

    before = server(SECRET_KEY=old)
    with before.app_context():
        _db.create_all()
    email = make_account(before, password_hash)
    client = browser(before)
    assert (
        client.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code == 302
    )
    rotated, forgotten = (
        browser(server(SECRET_KEY=new, SECRET_KEY_FALLBACKS=[old])),
        browser(server(SECRET_KEY=new)),
    )
    copy_cookies(client, rotated, "session")
    copy_cookies(client, forgotten, "session")
    assert rotated.get("/admin/users/").status_code == 200
    assert forgotten.get("/admin/users/").status_code == 302
