"""Log lines operators can search: JSON objects in production, each line of a request carrying
its request id (the proxy's ``X-Request-ID``, or a new one), echoed back to the client — and
never a patient identifier, an email address, a request body, a query string or a secret
token from a URL."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from telemed.auth.models import User
from telemed.ops import logs
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]
PROXY_ID = "5f0c1e7a9b2d4c6e8f1a3b5c7d9e0f12"  # what nginx's $request_id looks like
STRONG_KEY = "kQ2vX9-rT4mW7pZ1sY8uB3nF6hJ0cL5dA2gE9iK4oM7q"
GENERATED = re.compile(r"[0-9a-f]{32}")


def configure(app: Flask, log_format: str, level: str) -> Iterator[None]:
    """Log as production would (``log_format`` at ``level``) for one test, then as before."""
    saved = app.config["LOG_FORMAT"], app.config["LOG_LEVEL"]
    app.config.update(LOG_FORMAT=log_format, LOG_LEVEL=level)
    logs.init_app(app)
    yield
    app.config.update(LOG_FORMAT=saved[0], LOG_LEVEL=saved[1])
    logs.init_app(app)


@pytest.fixture
def json_logs(app: Flask) -> Iterator[None]:
    yield from configure(app, "json", "INFO")


@pytest.fixture
def text_logs(app: Flask) -> Iterator[None]:
    yield from configure(app, "text", "INFO")


def json_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """Every line written to standard error, each of which must be one JSON object."""
    err = capsys.readouterr().err
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def access_line(lines: list[dict[str, Any]], request_id: str) -> dict[str, Any]:
    (line,) = [
        entry
        for entry in lines
        if entry["logger"] == "telemed.requests" and entry["request_id"] == request_id
    ]
    return line


def test_the_proxys_request_id_is_echoed_and_on_the_access_line(
    client: FlaskClient, json_logs: None, capsys: pytest.CaptureFixture[str]
):
    response = client.get("/healthz?probe=1", headers={"X-Request-ID": PROXY_ID})
    assert response.headers["X-Request-ID"] == PROXY_ID

    line = access_line(json_lines(capsys), PROXY_ID)
    assert line["level"] == "INFO"
    assert line["method"] == "GET" and line["endpoint"] == "ops.healthz"
    assert line["path"] == "/healthz"  # never the query string
    assert line["status"] == 200 and line["duration_ms"] >= 0
    assert {"time", "message"} <= set(line) and "user_id" not in line


def test_without_a_usable_id_each_request_gets_a_new_one(
    client: FlaskClient, json_logs: None, capsys: pytest.CaptureFixture[str]
):
    given = [None, "", "short", "x" * 65, "bad id with spaces", 'quote"\\inject']
    echoed = []
    for header in given:
        headers = {} if header is None else {"X-Request-ID": header}
        echoed.append(client.get("/healthz", headers=headers).headers["X-Request-ID"])
    assert all(GENERATED.fullmatch(request_id) for request_id in echoed), echoed
    assert len(set(echoed)) == len(given)
    lines = json_lines(capsys)
    for request_id in echoed:
        assert access_line(lines, request_id)["status"] == 200


def test_every_line_of_a_request_carries_its_id_even_an_unexpected_error(
    app: Flask, client: FlaskClient, json_logs: None, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
):  # fmt: skip
    def broken() -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setitem(app.view_functions, "ops.healthz", broken)
    response = client.get("/healthz", headers={"X-Request-ID": PROXY_ID})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == PROXY_ID

    lines = [line for line in json_lines(capsys) if line.get("request_id") == PROXY_ID]
    error, access = lines
    assert error["level"] == "ERROR" and error["logger"] == "telemed.errors"
    assert "the disk is full" in error["exception"]
    assert error["endpoint"] == "ops.healthz"
    assert access["status"] == 500


def test_the_access_line_names_the_user_by_id_never_by_email_nor_the_patient(
    app: Flask, referring: User, make_case, json_logs: None, capsys: pytest.CaptureFixture[str],
):  # fmt: skip
    user = referring
    case = make_case(by=user)
    client = app.test_client()
    assert login(client, user).status_code == 302
    response = client.get(f"/cases/{case.id}", headers={"X-Request-ID": PROXY_ID})
    assert response.status_code == 200
    assert case.patient_reference in response.get_data(as_text=True)

    line = access_line(json_lines(capsys), PROXY_ID)
    assert line["user_id"] == user.id
    assert line["path"] == f"/cases/{case.id}" and line["endpoint"] == "cases.detail"
    written = json.dumps(line)
    assert user.email not in written and case.patient_reference not in written


def test_secret_tokens_in_urls_and_unknown_paths_stay_out_of_the_log(
    client: FlaskClient, json_logs: None, capsys: pytest.CaptureFixture[str]
):
    secret = "Zq8yN3kP0aW5sR2vX7tL"
    client.get(f"/feeds/{secret}.ics", headers={"X-Request-ID": PROXY_ID})
    client.get(f"/rsvp/{secret}", headers={"X-Request-ID": PROXY_ID[::-1]})
    client.get(f"/nowhere/{secret}/x", headers={"X-Request-ID": PROXY_ID.upper()})

    lines = json_lines(capsys)
    assert access_line(lines, PROXY_ID)["path"] == "/feeds/<token>.ics"
    assert access_line(lines, PROXY_ID[::-1])["path"] == "/rsvp/<token>"
    assert access_line(lines, PROXY_ID.upper())["path"] == "/nowhere/…"
    assert secret not in json.dumps(lines)


def test_development_writes_plain_text_with_the_request_id(
    client: FlaskClient, text_logs: None, capsys: pytest.CaptureFixture[str]
):
    client.get("/healthz", headers={"X-Request-ID": PROXY_ID})
    (line,) = [line for line in capsys.readouterr().err.splitlines() if PROXY_ID in line]
    assert not line.startswith("{")
    assert f"INFO telemed.requests [{PROXY_ID}] GET /healthz 200" in line


def test_production_logs_json_by_default(tmp_path: Path):
    """The real start-up (``wsgi``) with only the production variables an operator sets."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TELEMED_")}
    environment.update(
        TELEMED_ENV="production",
        TELEMED_SECRET_KEY=STRONG_KEY,
        TELEMED_DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
        TELEMED_BASE_URL="https://telemed.example.mx",
    )
    script = (
        "import logging, wsgi\n"
        "logging.getLogger('telemed.audit').warning('something for the operator')\n"
        f"wsgi.app.test_client().get('/healthz', headers={{'X-Request-ID': '{PROXY_ID}'}})\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    outside, inside = lines
    assert outside["message"] == "something for the operator" and "request_id" not in outside
    assert inside["request_id"] == PROXY_ID and inside["status"] == 200
