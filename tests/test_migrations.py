"""The schema comes from Alembic migrations, and they produce exactly what the models say."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from telemed import create_app
from telemed.core.types import UTCDateTime
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


BEFORE_COUNTED_MOMENTS = "71d0b0d0ff69"  # the revision before 5162e43d4b84's backfill
ROWS_BEFORE_COUNTED_MOMENTS = (
    "INSERT INTO centres (code, name, kind, state, city, timezone, active, has_ct, has_mri,"
    " has_linear_accelerator, has_blood_bank, has_transplant_unit, has_neurosurgery,"
    " has_orthopaedics, has_paediatric_icu, paediatric_oncologists, paediatricians, beds,"
    " paediatric_beds) VALUES ('OC-1', 'HGZ 1', 'oncocrean', 'Jalisco', '',"
    " 'America/Mexico_City', true, false, false, false, false, false, false, false, false,"
    " 0, 0, 0, 0), ('OC-2', 'HITO', 'oncocrean', 'Jalisco', '', 'America/Mexico_City', true,"
    " false, false, false, false, true, false, false, false, 0, 0, 0, 0)",
    "INSERT INTO users (email, name, password_hash, role, centre_id, active, session_version,"
    " created_at) VALUES ('dra@h.mx', 'Dra', 'x', 'referring', 1, true, 1,"
    " '2026-01-01 00:00:00')",
    # Case 1 was accepted, deferred at session 1, discussed at sessions 2 and 3; case 2 is a
    # draft nobody accepted.
    "INSERT INTO cases (centre_id, submitted_by_id, status, patient_reference, urgency,"
    " high_complexity, created_at, updated_at) VALUES (1, 1, 'recommendation_issued', 'R-1',"
    " 'routine', false, '2026-03-01 00:00:00', '2026-03-01 00:00:00'), (1, 1, 'draft', 'R-2',"
    " 'routine', false, '2026-03-01 00:00:00', '2026-03-01 00:00:00')",
    "INSERT INTO case_events (case_id, at, kind) VALUES (1, '2026-03-01 00:00:00', 'submit'),"
    " (1, '2026-03-02 16:30:00', 'accept'), (1, '2026-03-13 02:00:00', 'follow_up'),"
    " (2, '2026-03-01 00:00:00', 'created')",
    "INSERT INTO boards (name, kind, timezone, rrule, dtstart, duration_minutes,"
    " minutes_per_case, cutoff_days_before, cutoff_time, room_url_pattern, quorum_disciplines,"
    " next_session_number, active) VALUES ('Tumores', 'case_review', 'America/Mexico_City',"
    " 'FREQ=WEEKLY', '2026-03-06 00:00:00', 120, 15, 2, '12:00:00', 'https://v.mx/{n}', '[]',"
    " 4, true)",
    "INSERT INTO board_sessions (board_id, number, kind, status, extraordinary, starts_at,"
    " ends_at, cutoff_at, capacity, booked, room_url, sequence, created_at) VALUES"
    " (1, 1, 'case_review', 'held', false, '2026-03-06 00:00:00', '2026-03-06 02:00:00',"
    " '2026-03-04 18:00:00', 8, 0, 'https://v.mx/1', 0, '2026-03-01 00:00:00'),"
    " (1, 2, 'case_review', 'held', false, '2026-03-13 00:00:00', '2026-03-13 02:00:00',"
    " '2026-03-11 18:00:00', 8, 0, 'https://v.mx/2', 0, '2026-03-01 00:00:00'),"
    " (1, 3, 'case_review', 'held', false, '2026-03-20 00:00:00', '2026-03-20 02:00:00',"
    " '2026-03-18 18:00:00', 8, 0, 'https://v.mx/3', 0, '2026-03-01 00:00:00')",
    "INSERT INTO agenda_items (session_id, case_id, position, pinned, carried_over, outcome,"
    " placed_at) VALUES (1, 1, 1, false, false, 'deferred', '2026-03-02 17:00:00'),"
    " (3, 1, 1, false, false, 'discussed', '2026-03-13 03:00:00'),"
    " (2, 1, 1, false, true, 'discussed', '2026-03-06 03:00:00')",
    # Referral 1 was completed on 15 April; referral 2 is still on its way.
    "INSERT INTO referrals (case_id, from_centre_id, to_centre_id, needs, reason, status,"
    " created_by_id, created_at, updated_at) VALUES (1, 1, 2, '[]', 'TCPH', 'completed', 1,"
    " '2026-03-13 01:00:00', '2026-04-15 09:00:00'), (1, 1, 2, '[]', 'TCPH', 'sent', 1,"
    " '2026-03-13 01:00:00', '2026-03-13 01:00:00')",
    "INSERT INTO referral_steps (referral_id, at, from_status, to_status) VALUES"
    " (1, '2026-03-13 01:00:00', 'proposed', 'sent'),"
    " (1, '2026-03-16 09:00:00', 'sent', 'accepted'),"
    " (1, '2026-04-15 09:00:00', 'scheduled', 'completed'),"
    " (1, '2026-04-16 09:00:00', NULL, NULL),"
    " (2, '2026-03-13 01:00:00', 'proposed', 'sent')",
)


def test_upgrading_fills_the_moments_the_network_counts(empty_database_url: str):
    """Acceptance from the first ``accept`` event, first discussion from the earliest session
    that discussed the case (not one that deferred it), completion from the completing step."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE_COUNTED_MOMENTS)
        with db.engine.begin() as connection:
            for statement in ROWS_BEFORE_COUNTED_MOMENTS:
                connection.execute(text(statement))
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            cases = connection.execute(
                text("SELECT accepted_at, first_discussed_at FROM cases ORDER BY id").columns(
                    accepted_at=UTCDateTime(), first_discussed_at=UTCDateTime()
                )
            ).all()
            referrals = connection.execute(
                text("SELECT completed_at FROM referrals ORDER BY id").columns(
                    completed_at=UTCDateTime()
                )
            ).all()
        assert [tuple(row) for row in cases] == [
            (datetime(2026, 3, 2, 16, 30, tzinfo=UTC), datetime(2026, 3, 13, tzinfo=UTC)),
            (None, None),
        ]
        assert [row.completed_at for row in referrals] == [
            datetime(2026, 4, 15, 9, tzinfo=UTC),
            None,
        ]
        db.engine.dispose()
