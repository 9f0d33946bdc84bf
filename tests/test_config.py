"""Configuration: production refuses to start without its secrets, in one clear line; the
service's PostgreSQL sessions carry the settings its figures were measured with."""

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
    result = start_production(TELEMED_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 1
    assert "TELEMED_SECRET_KEY" in result.stderr
    assert "TELEMED_DATABASE_URL" not in result.stderr


def test_production_starts_with_both_set_and_secure_cookies(tmp_path):
    result = start_production(
        TELEMED_SECRET_KEY="s3cret-for-test",
        TELEMED_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
    )
    assert result.returncode == 0, result.stderr


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
