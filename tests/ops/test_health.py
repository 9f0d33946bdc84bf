"""Probes a load balancer and a supervisor can trust: /healthz says the process answers (no
database), /readyz that the database answers and carries this code's migrations — and names
what is wrong when it does not. Neither needs a login; both carry the security headers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from telemed import create_app
from telemed.extensions import db
from telemed.ops import readiness
from tests.ops.metrics_text import TOKEN, parse, value

# Nothing listens on port 1: the connection is refused at once, as for a stopped server.
UNREACHABLE = "postgresql+psycopg://telemed@127.0.0.1:1/telemed"


def head(app: Flask) -> str:
    with app.app_context():
        (revision,) = readiness.code_heads(readiness.migrations_directory())
    return revision


@pytest.fixture
def stamped(app: Flask) -> Iterator[None]:
    """The test database as ``flask db upgrade`` leaves it: the schema and its revision."""
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        connection.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head(app)})
    yield
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))


def test_ready_when_the_database_answers_with_the_codes_migrations(
    client: FlaskClient, stamped: None
):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_not_ready_when_the_database_is_at_another_revision(
    app: Flask, client: FlaskClient, stamped: None
):
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '78db7feceba9'"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    (problem,) = response.json["problems"]
    assert "78db7feceba9" in problem and head(app) in problem and "flask db upgrade" in problem


def test_not_ready_when_no_migration_was_ever_applied(client: FlaskClient):
    response = client.get("/readyz")
    assert response.status_code == 503
    (problem,) = response.json["problems"]
    assert problem == "database has no migrations applied (run flask db upgrade)"


def test_a_database_that_does_not_answer(monkeypatch: pytest.MonkeyPatch):
    """Not ready, but alive; and the metrics still answer, saying the database is down."""
    down = create_app("testing", {"SQLALCHEMY_DATABASE_URI": UNREACHABLE, "METRICS_TOKEN": TOKEN})
    client = down.test_client()

    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json == {"status": "unavailable", "problems": ["database unreachable"]}
    assert client.get("/healthz").status_code == 200

    scraped = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200
    series = parse(scraped.get_data(as_text=True))
    assert value(series, "telemed_database_up") == 0
    assert value(series, "telemed_outbox_backlog_messages") is None  # absent, not a false 0


def test_the_code_head_is_what_flask_db_upgrade_writes(tmp_path: Path):
    """Against a real migration run: ready after ``upgrade``, not after one ``downgrade``."""
    if os.environ.get("TELEMED_TEST_DATABASE_URL"):
        pytest.skip("one real migration run is enough (tests/test_migrations.py covers PostgreSQL)")
    migrated = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'r.db'}"})
    client = migrated.test_client()
    with migrated.app_context():
        flask_migrate.upgrade()
        assert client.get("/readyz").status_code == 200
        flask_migrate.downgrade(revision="-1")
        assert client.get("/readyz").status_code == 503
        db.engine.dispose()
