"""Browser fixtures: the session app served on a real port, and Debian's Chromium via Playwright.

The live server reuses the session ``app`` fixture (in-memory SQLite with a StaticPool shared
across threads, or PostgreSQL with ``TELEMED_TEST_DATABASE_URL``), so the autouse ``db``
fixture empties its tables after each test as usual. Werkzeug serves one request at a time,
and the test thread closes its session before driving the browser, so the two threads never
use the database at the same moment.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import Browser, Page, Response, expect, sync_playwright
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, browser_required

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000
LOCALE = "es_MX"  # what a doctor in the network sees by default
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; never a downloaded browser."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if browser_required():
            pytest.fail(f"TELEMED_REQUIRE_BROWSER=1 but {message}.", pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=TIMEOUT_MS
        )
        yield chromium
        chromium.close()


def closed_before_sending(app: Flask) -> Callable[..., Iterable[bytes]]:
    """Wrap ``app`` so each response body is read and closed before Werkzeug writes it.

    A browser that navigates away mid-download resets the connection; Werkzeug's dev server
    then skips closing the response, and the static file it was sending is left to the garbage
    collector -- a ResourceWarning, which the suite's ``filterwarnings = error`` turns into a
    failure at a random moment in the server thread. Buffering costs nothing at test sizes.
    """

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app on 127.0.0.1 (a free port) with CSRF protection on; yields its base URL."""
    csrf_before = app.config["WTF_CSRF_ENABLED"]
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, closed_before_sending(app), threaded=False)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        app.config["WTF_CSRF_ENABLED"] = csrf_before


@pytest.fixture
def bad_responses() -> list[str]:
    """Every response of 400 or more the browser received (a missing stylesheet, a 500...)."""
    return []


@pytest.fixture
def page(browser: Browser, live_server: str, bad_responses: list[str]) -> Iterator[Page]:
    """A fresh browser tab with Mexican Spanish preferences, pointed at the live server."""
    context = browser.new_context(base_url=live_server, locale="es-MX")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    tab = context.new_page()

    def record(response: Response) -> None:
        if response.status >= 400:  # the icon too: every page links one
            bad_responses.append(f"{response.status} {response.url}")

    tab.on("response", record)
    yield tab
    context.close()


@pytest.fixture
def ui_text(app: Flask) -> Callable[[str], str]:
    """What the page shows for an English message id, so tests find labels as people do."""

    def translate(msgid: str) -> str:
        with app.test_request_context(), force_locale(LOCALE):
            return gettext(msgid)

    return translate


@pytest.fixture
def screenshot(page: Page) -> Callable[[str], None]:
    """Save a full-page screenshot to test-results/ when ``TELEMED_SCREENSHOTS`` is set."""

    def take(name: str) -> None:
        if os.environ.get("TELEMED_SCREENSHOTS"):
            SCREENSHOT_DIR.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)

    return take


def log_in(page: Page, email: str, t: Callable[[str], str]) -> None:
    """Log in through the form as ``email`` (after logging out whoever was in this tab), as a
    person does, and wait until the form has gone."""
    page.context.clear_cookies()
    page.goto("/auth/login")
    page.get_by_label(re.compile(rf"^{t('Email')}")).fill(email)
    page.get_by_label(re.compile(rf"^{t('Password')}")).fill(PASSWORD)
    page.get_by_role("button", name=t("Log in"), exact=True).click()
    expect(page.get_by_role("button", name=t("Log in"), exact=True)).to_have_count(0)
