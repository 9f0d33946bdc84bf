"""Fixtures: the app on SQLite (default) or PostgreSQL (``TELEMED_TEST_DATABASE_URL``),
a clean database per test, a movable clock, and factories for centres, users and cases."""

from __future__ import annotations

import io
import itertools
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from telemed import create_app
from telemed.auth.models import Discipline, Role, User
from telemed.cases import service as case_service
from telemed.cases.models import Case
from telemed.centres.models import Centre, CentreKind
from telemed.core.clock import Clock
from telemed.extensions import db as _db
from telemed.extensions import limiter

# Shared scenes, for every folder: browsers (one Chromium per run), boards and their cases,
# a session ready to be held, a held session with its record, referrals, real concurrency.
pytest_plugins = [
    "tests.browser.fixtures",
    "tests.scenes.boards",
    "tests.scenes.session",
    "tests.scenes.minutes",
    "tests.scenes.referrals",
    "tests.scenes.concurrency",
]

PASSWORD = "correct-horse-42"
NEVER_IDLE_MINUTES = 60 * 24 * 366 * 10  # ten years: logins in the shared app do not expire
START = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # Monday 11:00 in Mexico City
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="session")
def password_hash() -> str:
    return generate_password_hash(PASSWORD)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    application = create_app(
        "testing",
        {
            "ATTACHMENT_DIR": str(tmp_path_factory.mktemp("attachments")),
            "CLOCK": Clock(),
            # Scenarios jump hours and days between two clicks of one person, who stays
            # logged in; the expiry of logins is tested with the real limits in
            # tests/auth/test_login_sessions.py (``session_limits``).
            "SESSION_IDLE_MINUTES": NEVER_IDLE_MINUTES,
            "SESSION_MAX_HOURS": NEVER_IDLE_MINUTES // 60,
        },
    )
    # Tests keep one app context open, which every request would share; start each request
    # with an empty ``g`` as in production, so a login never leaks into another client.
    request_started.connect(lambda _sender, **_kw: g.__dict__.clear(), application, weak=False)
    with application.app_context():
        _db.drop_all()
        _db.create_all()  # tests only; the schema itself comes from migrations
    yield application
    with application.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def db(app: Flask) -> Iterator[Any]:
    """Each test starts with empty tables, a fixed clock and fresh rate limits."""
    with app.app_context():
        app.extensions["telemed.clock"].set(START)
        limiter.reset()
        yield _db
        _db.session.rollback()
        _db.session.remove()
        empty_tables()


def empty_tables() -> None:
    tables = list(reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())
            if connection.execute(
                text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")
            ).first():
                connection.execute(text("DELETE FROM sqlite_sequence"))


@pytest.fixture
def clock(app: Flask) -> Clock:
    return app.extensions["telemed.clock"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


_counter = itertools.count(1)


@pytest.fixture
def make_centre() -> Callable[..., Centre]:
    def factory(**overrides: Any) -> Centre:
        n = next(_counter)
        values: dict[str, Any] = {
            "code": f"C-{n:03d}",
            "name": f"HGZ No. {n}",
            "kind": CentreKind.ONCOCREAN,
            "state": "Jalisco",
            "city": "Guadalajara",
            "timezone": "America/Mexico_City",
        }
        values.update(overrides)
        centre = Centre(**values)
        _db.session.add(centre)
        _db.session.commit()
        return centre

    return factory


@pytest.fixture
def centre(make_centre: Callable[..., Centre]) -> Centre:
    return make_centre(code="OC-BC-TIJ", name="HGR No. 1 Tijuana", state="Baja California",
                       city="Tijuana", timezone="America/Tijuana")  # fmt: skip


@pytest.fixture
def other_centre(make_centre: Callable[..., Centre]) -> Centre:
    return make_centre(code="OC-QR-CUN", name="HGR No. 17 Cancún", state="Quintana Roo",
                       city="Cancún", timezone="America/Cancun")  # fmt: skip


@pytest.fixture
def make_user(password_hash: str) -> Callable[..., User]:
    def factory(role: Role = Role.REFERRING, **overrides: Any) -> User:
        n = next(_counter)
        values: dict[str, Any] = {
            "email": f"user{n}@hospital.test",
            "name": f"Dr. Usuario {n}",
            "role": role,
            "password_hash": password_hash,
        }
        if role is Role.SPECIALIST:
            values["discipline"] = Discipline.PAEDIATRIC_ONCOLOGY
        values.update(overrides)
        user = User(**values)
        _db.session.add(user)
        _db.session.commit()
        return user

    return factory


@pytest.fixture
def referring(make_user: Callable[..., User], centre: Centre) -> User:
    return make_user(Role.REFERRING, centre_id=centre.id, email="referente@hospital.test")


@pytest.fixture
def other_referring(make_user: Callable[..., User], other_centre: Centre) -> User:
    return make_user(Role.REFERRING, centre_id=other_centre.id, email="otro@hospital.test")


@pytest.fixture
def specialist(make_user: Callable[..., User]) -> User:
    return make_user(Role.SPECIALIST, email="especialista@hospital.test")


@pytest.fixture
def coordinator(make_user: Callable[..., User]) -> User:
    return make_user(Role.COORDINATOR, email="coordinador@hospital.test")


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMIN, email="admin@hospital.test")


def case_payload(**overrides: Any) -> dict[str, Any]:
    """A complete, valid submission; tests override what they exercise."""
    data: dict[str, Any] = {
        "patient_reference": "NSS-4455667788",
        "age_years": 7,
        "age_months": 4,
        "sex": "female",
        "icd10_code": "C91.0",
        "diagnosis_text": "Leucemia linfoblástica aguda de precursores B",
        "stage": "Riesgo alto",
        "current_treatment": "Inducción protocolo institucional, día 33",
        "question": "¿Es candidata a trasplante haploidéntico tras recaída medular temprana?",
        "request_kind": "transplant_evaluation",
        "urgency": "priority",
        "high_complexity": True,
        "specialty": "leukaemia_lymphoma",
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_case(referring: User) -> Callable[..., Case]:
    def factory(by: User | None = None, submit: bool = True, **overrides: Any) -> Case:
        return committed(
            case_service.create_case(by or referring, case_payload(**overrides), submit=submit)
        )

    return factory


def base_url(app: Flask) -> str:
    """The public address links in emails, invites and feeds start with (``TELEMED_BASE_URL``,
    no trailing slash)."""
    root = app.config["APPLICATION_ROOT"].rstrip("/")
    return f"{app.config['PREFERRED_URL_SCHEME']}://{app.config['SERVER_NAME']}{root}"


def committed(value: Any, *_done: Any) -> Any:
    """Commit what the services called so far did (a test is the outermost caller: it owns
    the transaction, as a request or a job does) and hand back ``value``."""
    _db.session.commit()
    return value


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> Any:
    return client.post("/auth/login", data={"email": user.email, "password": password})


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[[User], FlaskClient]:
    def do_login(user: User) -> FlaskClient:
        response = login(client, user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return do_login


def client_for(app: Flask, user: User | None = None) -> FlaskClient:
    """A separate browser (logged in as ``user`` if given), in English so messages can be read."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    if user is not None:
        assert login(client, user).status_code == 302
    return client


def without_csrf(page: str) -> str:
    """Drop every signed CSRF token (form fields and the head's meta tag): each carries its own
    timestamp, so two pages rendered across a second boundary differ only there."""
    page = re.sub(r'name="csrf-token" content="[^"]*"', 'name="csrf-token"', page)
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', page)


def upload(name: str, content: bytes) -> tuple[io.BytesIO, str]:
    return io.BytesIO(content), name


def browser_required() -> bool:
    return os.environ.get("TELEMED_REQUIRE_BROWSER") == "1"


@contextmanager
def english() -> Iterator[None]:
    """Service calls outside a request speak the default language (Spanish); read their
    messages in English. Flask-Babel only forces a locale once ``g`` holds something."""
    g.english = True
    with force_locale("en"):
        yield
