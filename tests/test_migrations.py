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


def test_upgrading_a_database_that_holds_cases_keeps_them(empty_database_url: str):
    """Later revisions rebuild tables (SQLite batch mode) under rows that others reference."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        flask_migrate.upgrade(revision="78db7feceba9")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO centres (code, name, kind, state, city, timezone, active, has_ct,"
                    " has_mri, has_linear_accelerator, has_blood_bank, has_transplant_unit,"
                    " has_neurosurgery, has_orthopaedics, has_paediatric_icu,"
                    " paediatric_oncologists, paediatricians, beds, paediatric_beds) VALUES"
                    " ('OC-1', 'HGZ 1', 'oncocrean', 'Jalisco', '', 'America/Mexico_City', true,"
                    " false, false, false, false, false, false, false, false, 0, 0, 0, 0)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO users (email, name, password_hash, role, centre_id, active,"
                    " session_version, created_at) VALUES ('dra@h.mx', 'Dra', 'x', 'referring',"
                    " 1, true, 1, '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO cases (centre_id, submitted_by_id, status, patient_reference,"
                    " urgency, high_complexity, created_at, updated_at) VALUES (1, 1, 'draft',"
                    " 'R-1', 'routine', false, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO case_events (case_id, at, kind) VALUES"
                    " (1, '2026-01-01 00:00:00', 'created')"
                )
            )
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            row = connection.execute(
                text("SELECT patient_reference, carry_over, scheduling_hold FROM cases")
            ).one()
            events = connection.execute(text("SELECT count(*) FROM case_events")).scalar_one()
        assert tuple(row) == ("R-1", 0, False)
        assert events == 1
        db.engine.dispose()
