"""Configuration: production refuses to start without its secrets, with a secret key anyone
could know, or without its public address, in one clear line; the service's PostgreSQL
sessions carry the settings its figures were measured with."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from config import ConfigError
from telemed import create_app

ROOT = Path(__file__).resolve().parent.parent
# What an operator sets: a random key of 48 characters and the service's public address.
STRONG_KEY = "kQ2vX9-rT4mW7pZ1sY8uB3nF6hJ0cL5dA2gE9iK4oM7q"
BASE_URL = "https://telemed.example.mx"


def start_production(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TELEMED_")}
    clean.update(TELEMED_ENV="production", **env)
    return subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_production_without_secret_key_and_database_url_refuses_in_one_line():
    result = start_production()
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TELEMED_SECRET_KEY" in lines[0]
    assert "TELEMED_DATABASE_URL" in lines[0]


def test_production_names_only_what_is_missing(tmp_path):
    result = start_production(
        TELEMED_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", TELEMED_BASE_URL=BASE_URL
    )
    assert result.returncode == 1
    assert "TELEMED_SECRET_KEY" in result.stderr
    assert "TELEMED_DATABASE_URL" not in result.stderr
    assert "TELEMED_BASE_URL" not in result.stderr


def test_production_starts_with_a_strong_key_a_database_and_its_address(tmp_path):
    result = start_production(
        TELEMED_SECRET_KEY=STRONG_KEY,
        TELEMED_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
        TELEMED_BASE_URL=BASE_URL,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "dev-only-not-secret",  # the development default: a forged cookie opened /admin/users/
        "testing-secret",  # the test suite's
        "s3cret-for-test",  # shown in the tests
        "x" * 31,  # too short to resist guessing, however random
        f"  {STRONG_KEY[:30]}  ",  # padding does not make a key longer
    ],
)
def test_production_refuses_a_known_or_short_secret_key_in_one_line(tmp_path, key):
    result = start_production(
        TELEMED_SECRET_KEY=key,
        TELEMED_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
        TELEMED_BASE_URL=BASE_URL,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TELEMED_SECRET_KEY" in lines[0]
    assert key.strip() not in lines[0]  # the refusal never prints the key


def test_production_refuses_a_published_key_kept_as_a_fallback(tmp_path):
    """A rotated-out key still signs valid cookies: a published one there is as bad."""
    result = start_production(
        TELEMED_SECRET_KEY=STRONG_KEY,
        TELEMED_SECRET_KEY_FALLBACKS=f"{STRONG_KEY[::-1]} dev-only-not-secret",
        TELEMED_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
        TELEMED_BASE_URL=BASE_URL,
    )
    assert result.returncode == 1
    assert "TELEMED_SECRET_KEY_FALLBACKS" in result.stderr
    assert "dev-only-not-secret" not in result.stderr


def test_production_without_its_public_address_refuses_in_one_line(tmp_path):
    """A forgotten TELEMED_BASE_URL would send every email's links to http://127.0.0.1:5000."""
    result = start_production(
        TELEMED_SECRET_KEY=STRONG_KEY, TELEMED_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}"
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TELEMED_BASE_URL" in lines[0]
    assert "TELEMED_SECRET_KEY" not in lines[0]


def test_development_keeps_its_default_key_and_address():
    """``make run`` starts as before: no secret key or address to set on a laptop."""
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == "dev-only-not-secret"
    assert app.config["SERVER_NAME"]


def test_unknown_environment_name_is_refused():
    with pytest.raises(ConfigError, match="TELEMED_ENV"):
        create_app("staging")


def test_session_cookies_are_httponly_and_samesite(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True


def test_postgresql_connections_are_tuned_for_the_dashboards_aggregates(app, db):
    """JIT off (it compiled longer than the figures ran) and enough work_mem to group a
    state's waiting times in memory; both matter only on PostgreSQL."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: run with TELEMED_TEST_DATABASE_URL")
    settings = dict(
        db.session.execute(
            text("SELECT name, setting FROM pg_settings WHERE name IN ('jit', 'work_mem')")
        ).all()
    )
    assert settings == {"jit": "off", "work_mem": str(32 * 1024)}  # kB
