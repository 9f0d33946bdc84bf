"""The schema comes from Alembic migrations, and they produce exactly what the models say."""

from __future__ import annotations

import os
from collections.abc import Iterator

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from telemed import create_app
from telemed.extensions import db


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A database with no tables: a new SQLite file, or a new PostgreSQL database."""
    configured = os.environ.get("TELEMED_TEST_DATABASE_URL")
    if not configured:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    base = make_url(configured)
    name = f"{base.database}_migrations"
    server = create_engine(base, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def test_migrations_build_the_models_schema_and_downgrade_cleanly(empty_database_url: str):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == []

        flask_migrate.downgrade(revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()
