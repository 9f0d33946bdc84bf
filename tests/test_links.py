"""Links that leave the service (emails, invites, feeds) come from the app's URL map at the
address ``TELEMED_BASE_URL`` names: never from the Host, scheme or path a request came with."""

from __future__ import annotations

import pytest
from flask import Flask

from config import url_settings
from telemed.core.links import external_url
from tests.conftest import base_url
from tests.test_config import STRONG_KEY, start_production


@pytest.mark.parametrize(
    ("address", "settings"),
    [
        ("http://127.0.0.1:5077", ("127.0.0.1:5077", "http", "/")),
        ("https://Telemed.Example.mx/", ("telemed.example.mx", "https", "/")),
        ("https://red.example.mx/comites/", ("red.example.mx", "https", "/comites")),
    ],
)
def test_the_public_address_sets_flasks_url_settings(
    address: str, settings: tuple[str, str, str]
) -> None:
    assert url_settings(address) == settings


@pytest.mark.parametrize(
    "address",
    ["telemed.example.mx", "ftp://telemed.example.mx", "https://x.mx/?a=1", "http://x.mx:port"],
)
def test_what_is_not_an_absolute_http_address_gives_no_server_name(address: str) -> None:
    assert url_settings(address)[0] == ""


def test_a_base_url_that_is_not_an_address_stops_the_start_in_one_line(tmp_path):
    result = start_production(
        TELEMED_SECRET_KEY=STRONG_KEY,
        TELEMED_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
        TELEMED_BASE_URL="telemed.example.mx",
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELEMED_BASE_URL" in lines[0], result.stderr


def test_links_are_absolute_at_the_configured_address(app: Flask) -> None:
    assert external_url("cases.detail", case_id=7) == f"{base_url(app)}/cases/7"
    assert external_url("cases.detail", case_id=7, _anchor="preparation") == (
        f"{base_url(app)}/cases/7#preparation"
    )


def test_a_forged_host_never_reaches_a_link(app: Flask) -> None:
    with app.test_request_context("/", base_url="https://phishing.example:8443/telemed"):
        assert external_url("sessions.session_detail", session_id=3) == (
            f"{base_url(app)}/sessions/3"
        )


def test_a_service_published_under_a_path_links_under_it(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in zip(
        ("SERVER_NAME", "PREFERRED_URL_SCHEME", "APPLICATION_ROOT"),
        url_settings("https://red.example.mx/comites"),
        strict=True,
    ):
        monkeypatch.setitem(app.config, key, value)
    assert external_url("feeds.board_feed", board_id=2) == (
        "https://red.example.mx/comites/feeds/boards/2.ics"
    )


def test_pages_still_answer_on_any_host(app: Flask) -> None:
    """``SERVER_NAME`` builds links; since Flask 3.1 it no longer decides which hosts are
    served (the browser tests' live server runs on another port)."""
    client = app.test_client()
    assert client.get("/healthz", base_url="http://192.0.2.10:8000").status_code == 200
