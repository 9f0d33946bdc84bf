"""Every answer tells the browser to run only the service's own scripts and styles, never to be
framed, sniffed or cached with patient data in it; HTTPS deployments pin HTTPS; and no served
template needs an inline script or style the policy would block."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from telemed.auth.models import User
from telemed.cases import service as case_service
from telemed.extensions import db
from tests.conftest import PDF_BYTES, case_payload, client_for, committed
from tests.scenes.minutes import Held

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def csp(response: TestResponse) -> dict[str, str]:
    """The policy's directives: name -> sources."""
    policy = response.headers.get("Content-Security-Policy", "")
    pairs = (part.strip().partition(" ") for part in policy.split(";") if part.strip())
    return {name: sources for name, _sep, sources in pairs}


def answers(app: Flask, held: Held, coordinator: User, referring: User) -> dict[str, Any]:
    """One answer of every kind the service gives, by name."""
    case = committed(
        case_service.create_case(
            referring, case_payload(), submit=True, files=[("informe.pdf", PDF_BYTES)]
        )
    )
    attachment_url = f"/cases/{case.id}/attachments/{case.attachments[0].id}"
    board = held.session.board
    board.public_feed = True
    db.session.commit()
    session_id = held.session.id

    anonymous = client_for(app)
    staff = client_for(app, coordinator)
    doctor = client_for(app, referring)
    feed = staff.post("/feeds/regenerate")
    assert feed.status_code == 302
    feed_path = re.search(r"/feeds/[\w-]+\.ics", staff.get("/auth/profile").get_data(as_text=True))
    assert feed_path, "the profile page shows the feed's address"

    found = {
        "page": anonymous.get("/auth/login"),
        "redirect": anonymous.get("/cases/"),
        "404 page": anonymous.get("/no-such-page"),
        "405 page": anonymous.get("/auth/logout"),
        "case page": doctor.get(f"/cases/{case.id}"),
        "room": staff.get(f"/sessions/{session_id}/room"),
        "minutes print page": staff.get(f"/sessions/{session_id}/minutes/print"),
        "minutes PDF": staff.get(f"/sessions/{session_id}/minutes.pdf"),
        "attachment": doctor.get(attachment_url),
        "session calendar": staff.get(f"/sessions/{session_id}.ics"),
        "private feed": anonymous.get(feed_path.group(0)),
        "public board feed": anonymous.get(f"/feeds/boards/{board.id}.ics"),
        "API JSON": doctor.get("/api/v1/me"),
        "figures API": staff.get("/api/v1/stats?view=overview"),
        "API 401": anonymous.get("/api/v1/me"),
        "API 404": doctor.get("/api/v1/cases/999999"),
        "static file": anonymous.get("/static/telemed.css"),
    }
    for n in range(10):  # more than the per-address limit allows (the logins above count too)
        anonymous.post("/auth/login", data={"email": f"nadie{n}@hospital.test", "password": "x"})
    found["429 page"] = anonymous.post("/auth/login", data={"email": "x@y.test", "password": "x"})
    return found


@pytest.fixture
def every_answer(
    app: Flask, held: Held, coordinator: User, referring: User
) -> dict[str, TestResponse]:
    responses = answers(app, held, coordinator, referring)
    for response in responses.values():
        response.close()
    return responses


def test_every_answer_carries_a_strict_policy_and_the_browser_headers(every_answer):
    statuses = {name: r.status_code for name, r in every_answer.items()}
    assert statuses["404 page"] == 404 and statuses["405 page"] == 405
    assert statuses["429 page"] == 429 and statuses["API 401"] == 401
    assert statuses["redirect"] == 302
    assert all(s == 200 for name, s in statuses.items() if name[0].islower() and "page" in name
               and name not in ("404 page", "405 page", "429 page")), statuses  # fmt: skip
    for name, response in every_answer.items():
        policy = csp(response)
        for directive, value in CSP_DIRECTIVES.items():
            assert policy.get(directive) == value, (name, directive, policy)
        assert "unsafe-inline" not in str(policy) and "unsafe-eval" not in str(policy), name
        assert response.headers.get("X-Content-Type-Options") == "nosniff", name
        assert response.headers.get("X-Frame-Options") == "DENY", name
        # The private feed's address is its credential: it sends no referrer at all.
        referrer = "no-referrer" if name == "private feed" else "same-origin"
        assert response.headers.get("Referrer-Policy") == referrer, name


def test_nothing_with_patient_data_may_be_stored_only_static_files_cache(every_answer):
    for name, response in every_answer.items():
        cache = response.headers.get("Cache-Control", "")
        if name == "static file":
            assert "no-store" not in cache, cache  # stylesheets and scripts may be cached
        elif name == "public board feed":
            assert cache == "public, max-age=900"  # published training sessions only
        elif name in ("figures API", "private feed"):
            # Revalidated by their ETag: aggregates; a feed at a secret address (codes, times).
            assert cache == "private, no-cache", cache
        else:
            assert "no-store" in cache, (name, cache)


def test_a_server_error_page_carries_the_headers_too(app, monkeypatch):
    def boom() -> str:
        raise RuntimeError("a bug")

    monkeypatch.setitem(app.view_functions, "certificates.verify_form", boom)
    response = client_for(app).get("/verify")
    assert response.status_code == 500
    assert csp(response)["script-src"] == "'self'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "no-store" in response.headers["Cache-Control"]


def test_hsts_only_where_the_service_is_served_over_https(app, monkeypatch):
    client = client_for(app)
    assert app.config["PREFERRED_URL_SCHEME"] == "http"  # the test suite's address
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers

    monkeypatch.setitem(app.config, "PREFERRED_URL_SCHEME", "https")
    assert client.get("/auth/login").headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains"
    )
    monkeypatch.setitem(app.config, "PREFERRED_URL_SCHEME", "http")
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    for path in ("/auth/login", "/static/telemed.css", "/api/v1/me"):
        response = client.get(path)
        response.close()
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# --- templates the policy can serve ----------------------------------------------------------

INLINE = {
    "a <style> element": re.compile(r"<style[\s>]", re.I),
    "a style attribute": re.compile(r"\sstyle\s*=", re.I),
    "an inline <script>": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I),
    "an event-handler attribute": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}


def served_templates() -> list[Path]:
    """Every template a browser may render (emails are read by mail clients, not served)."""
    return sorted(p for p in TEMPLATES.rglob("*.html") if "emails" not in p.parts)


@pytest.mark.parametrize("what", list(INLINE))
def test_no_served_template_needs_inline_script_or_style(what: str) -> None:
    pattern = INLINE[what]
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in served_templates()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == [], f"{what} would be blocked by the Content-Security-Policy"


def test_the_template_scan_sees_the_templates() -> None:
    """Guard for the guard above: it reads the pages and would see what it looks for."""
    names = {p.relative_to(TEMPLATES).as_posix() for p in served_templates()}
    assert {"base.html", "minutes/minutes_print.html", "reports/_macros.html"} <= names
    samples: dict[str, str] = {
        "a <style> element": "<style>\n",
        "a style attribute": '<p class="x" style="color: red">',
        "an inline <script>": "<script>alert(1)</script>",
        "an event-handler attribute": '<button onclick="x()">',
        "a javascript: URL": '<a href="javascript:x()">',
    }
    assert all(INLINE[what].search(sample) for what, sample in samples.items())
    assert not INLINE["an inline <script>"].search('<script src="/static/x.js" defer></script>')
