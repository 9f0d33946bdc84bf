"""Command-line tools an operator runs: ``flask users create|token``, ``flask demo load`` (never
in production by accident) and ``flask serve`` (without advertising its versions)."""

from __future__ import annotations

import http.client
import os
import re
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from werkzeug.serving import make_server

from telemed import cli
from telemed.audit.models import AuditEntry
from telemed.auth.models import ApiToken, Role, User
from telemed.cases.models import Case
from telemed.centres.models import Centre, CentreKind
from telemed.demo import DEMO_CENTRES, DEMO_PASSWORD, DEMO_USERS
from tests.conftest import login
from tests.test_config import BASE_URL, ROOT, STRONG_KEY

SECRET = "clave-de-operador-9"


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def create_user(runner: FlaskCliRunner, *extra: str, **options: str) -> Result:
    values = {"email": "Nueva.Doctora@Hospital.test", "name": "Dra. Nueva Referente",
              "role": "referring", "centre": "OC-BC-TIJ", "password": SECRET}  # fmt: skip
    values.update(options)
    args = ["users", "create"]
    for key, value in values.items():
        if value is not None:
            args += [f"--{key}", value]
    return runner.invoke(args=[*args, *extra])


def count(db: Any, model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def bearer_me(app: Flask, secret: str) -> Any:
    return app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})


# --- flask users create ------------------------------------------------------------------


def test_users_create_makes_an_account_that_can_log_in(app, runner, centre, db):
    result = create_user(runner)
    assert result.exit_code == 0, result.output
    assert "nueva.doctora@hospital.test" in result.output

    user = db.session.scalars(select(User)).one()
    assert user.email == "nueva.doctora@hospital.test"
    assert user.role is Role.REFERRING
    assert user.centre_id == centre.id
    assert user.password_hash.startswith("scrypt:")
    assert SECRET not in user.password_hash

    client = app.test_client()
    assert login(client, user, SECRET).status_code == 302
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.create"))
    assert (entry.actor_id, entry.object_id) == (None, user.id)  # done from the console


def test_users_create_specialist_with_a_discipline(runner, db):
    result = create_user(runner, email="rt@hospital.test", role="specialist", centre=None,
                         discipline="radiotherapy")  # fmt: skip
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User)).one()
    assert (user.role.value, user.discipline.value, user.centre_id) == (
        "specialist", "radiotherapy", None
    )  # fmt: skip


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"centre": "OC-XX-NOPE"}, "centre_code"),
        ({"centre": None}, "centre_code"),
        ({"role": "specialist", "centre": None}, "discipline"),
        ({"email": "no-es-correo"}, "email"),
        ({"password": "corta"}, "password"),
    ],
)
def test_users_create_refuses_bad_input_naming_the_field(runner, centre, db, options, field):
    result = create_user(runner, **options)
    assert result.exit_code != 0
    assert f"{field}:" in result.output
    assert "Traceback" not in result.output
    assert count(db, User) == 0
    assert count(db, AuditEntry) == 0


def test_users_create_refuses_a_duplicate_email(runner, referring, db):
    result = create_user(runner, email="REFERENTE@hospital.test")
    assert result.exit_code != 0
    assert "email:" in result.output
    assert count(db, User) == 1


def test_users_create_refuses_an_unknown_role(runner, centre, db):
    result = create_user(runner, role="superuser")
    assert result.exit_code != 0
    assert "role" in result.output
    assert count(db, User) == 0


# --- flask users token -------------------------------------------------------------------


def test_users_token_prints_a_token_that_works_as_bearer(app, runner, referring, db):
    result = runner.invoke(args=["users", "token", "Referente@Hospital.test", "--name", "HIS"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert re.fullmatch(r"tm_[A-Za-z0-9_-]{20,}", secret)

    response = bearer_me(app, secret)
    assert response.status_code == 200
    assert response.get_json()["email"] == "referente@hospital.test"
    token = db.session.scalars(select(ApiToken)).one()
    assert (token.user_id, token.name) == (referring.id, "HIS")
    assert token.token_hash != secret


def test_users_token_for_an_unknown_email_exits_2(runner, referring, db):
    result = runner.invoke(args=["users", "token", "nadie@hospital.test"])
    assert result.exit_code == 2
    assert "nadie@hospital.test" in result.output
    assert count(db, ApiToken) == 0


def test_users_token_for_an_inactive_account_exits_2(runner, make_user, db):
    user = make_user(Role.COORDINATOR, active=False)
    result = runner.invoke(args=["users", "token", user.email])
    assert result.exit_code == 2
    assert count(db, ApiToken) == 0


# --- flask demo load ---------------------------------------------------------------------


def load_demo(runner: FlaskCliRunner) -> Result:
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result


def demo_state(db: Any) -> tuple[list[tuple[int, str]], list[tuple[int, str, str]]]:
    centres = db.session.execute(select(Centre.id, Centre.code).order_by(Centre.id)).all()
    users = db.session.execute(
        select(User.id, User.email, User.password_hash).order_by(User.id)
    ).all()
    return [tuple(r) for r in centres], [tuple(r) for r in users]


def test_demo_load_twice_creates_nothing_the_second_time(runner, db):
    first = load_demo(runner)
    assert "created" in first.output
    state = demo_state(db)
    assert len(state[0]) == len(DEMO_CENTRES)
    assert len(state[1]) == len(DEMO_USERS) == 4

    second = load_demo(runner)
    assert demo_state(db) == state
    created = [int(n) for n in re.findall(r"(\d+) (?:centres|users)", second.output)]
    assert all(n == 0 for n in created), second.output


def test_demo_load_keeps_what_an_administrator_changed(runner, db):
    load_demo(runner)
    tijuana = db.session.scalars(select(Centre).where(Centre.code == "OC-BC-TIJ")).one()
    tijuana.beds = 400
    db.session.commit()
    load_demo(runner)
    db.session.refresh(tijuana)
    assert tijuana.beds == 400


def test_demo_network_has_36_oncocreans_and_hito_for_transplants(runner, db):
    load_demo(runner)
    oncocreans = db.session.scalar(
        select(func.count(Centre.id)).where(Centre.kind == CentreKind.ONCOCREAN)
    )
    assert oncocreans == 36
    assert db.session.scalar(select(func.count(Centre.id)).where(Centre.kind == CentreKind.UMAE))

    hito = db.session.scalars(select(Centre).where(Centre.code == "HITO")).one()
    assert hito.kind is CentreKind.EXTERNAL_PARTNER
    assert hito.state == "Querétaro"
    assert hito.has_transplant_unit is True
    transplanters = db.session.scalars(select(Centre.code).where(Centre.has_transplant_unit)).all()
    assert transplanters == ["HITO"]  # OncoCREANs refer transplants there

    tijuana = db.session.scalars(select(Centre).where(Centre.code == "OC-BC-TIJ")).one()
    assert tijuana.has_orthopaedics is False
    assert tijuana.paediatric_oncologists == 1
    assert (tijuana.beds, tijuana.paediatric_beds, tijuana.paediatricians) == (394, 50, 51)


@pytest.mark.parametrize(
    ("city", "zone"),
    [
        ("Tijuana", "America/Tijuana"),
        ("Ciudad Juárez", "America/Ciudad_Juarez"),
        ("Hermosillo", "America/Hermosillo"),
        ("Cancún", "America/Cancun"),
    ],
)
def test_demo_centres_have_their_local_time_zone(runner, db, city, zone):
    expected = {c.code for c in DEMO_CENTRES if c.city == city}
    assert expected, city
    load_demo(runner)
    rows = db.session.execute(select(Centre.code, Centre.timezone).where(Centre.city == city))
    loaded = dict(rows.all())
    assert set(loaded) == expected
    assert set(loaded.values()) == {zone}


def test_demo_accounts_log_in_with_the_demo_password(app, runner, db):
    load_demo(runner)
    for demo in DEMO_USERS:
        user = db.session.scalars(select(User).where(User.email == demo.email)).one()
        assert user.role is demo.role
        assert user.active is True
        client = app.test_client()
        assert login(client, user, DEMO_PASSWORD).status_code == 302, demo.email
        assert client.get("/api/v1/me").get_json()["email"] == demo.email
    roles = {u.role for u in DEMO_USERS}
    assert roles == set(Role)
    referring = next(u for u in DEMO_USERS if u.role is Role.REFERRING)
    user = db.session.scalars(select(User).where(User.email == referring.email)).one()
    assert user.centre is not None and user.centre.code == referring.centre_code


# --- demo data in production ---------------------------------------------------------------


@pytest.fixture
def production(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app as ``TELEMED_ENV=production`` configures it, for the commands' guard."""
    monkeypatch.setitem(app.config, "ENV_NAME", "production")


def only_line(result: Result) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_demo_load_refuses_in_production_and_changes_nothing(app, runner, db, production):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code != 0
    line = only_line(result)
    assert "production" in line and "--create-known-passwords-in-production" in line
    assert (count(db, User), count(db, Centre)) == (0, 0)
    admin = app.test_client().post(
        "/auth/login", data={"email": "admin@demo.telemed.mx", "password": DEMO_PASSWORD}
    )
    assert admin.status_code == 401


def test_demo_load_in_production_runs_when_the_risk_is_named(runner, db, production):
    result = runner.invoke(args=["demo", "load", "--create-known-passwords-in-production"])
    assert result.exit_code == 0, result.output
    assert count(db, User) == len(DEMO_USERS)


def test_demo_generate_refuses_in_production_and_changes_nothing(runner, db, production):
    result = runner.invoke(args=["demo", "generate", "--cases", "20"])
    assert result.exit_code != 0
    assert "--mix-synthetic-cases-into-production" in only_line(result)
    assert (count(db, Case), count(db, User), count(db, Centre)) == (0, 0, 0)


def test_demo_generate_in_production_runs_when_the_risk_is_named(runner, db, production):
    result = runner.invoke(
        args=["demo", "generate", "--cases", "20", "--mix-synthetic-cases-into-production"]
    )
    assert result.exit_code == 0, result.output
    assert count(db, Case) == 20


def test_demo_commands_run_unchanged_outside_production(runner, db):
    """``make run`` (development) loads the demo without any flag."""
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert count(db, User) == len(DEMO_USERS)


def test_a_real_production_start_refuses_the_demo(tmp_path):
    """End to end, as an operator would type it: ``flask --app wsgi demo load``."""
    database = tmp_path / "prod.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEMED_")}
    env.update(TELEMED_ENV="production", TELEMED_SECRET_KEY=STRONG_KEY,
               TELEMED_DATABASE_URL=f"sqlite:///{database}", TELEMED_BASE_URL=BASE_URL)  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "demo", "load"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--create-known-passwords-in-production" in lines[0], result.stderr
    assert not database.exists() or "users" not in sqlite_tables(database)


def sqlite_tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}


# --- the development server ------------------------------------------------------------------


def test_serve_does_not_advertise_server_or_python_versions(app, runner, monkeypatch):
    served: dict[str, Any] = {}
    monkeypatch.setattr(cli, "run_simple", lambda *args, **kwargs: served.update(kwargs))
    result = runner.invoke(args=["serve", "--no-scheduler", "--port", "5999"])
    assert result.exit_code == 0, result.output

    server = make_server("127.0.0.1", 0, app, request_handler=served.get("request_handler"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        connection.request("GET", "/static/telemed.css")
        response = connection.getresponse()
        response.read()
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert response.status == 200
    banner = response.getheader("Server") or ""
    assert "Werkzeug" not in banner and "Python" not in banner, banner
