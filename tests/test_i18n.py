"""Spanish (es-MX) first, English on request; times in the viewer's own zone.

A doctor in Tijuana and a coordinator in Mexico City read the same case; each sees
the language they chose and the clock on their own wall.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from telemed.auth import tokens
from telemed.auth.models import User
from telemed.cases.models import Case
from tests.conftest import case_payload, committed, login

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "telemed" / "translations"
SPANISH_PO = TRANSLATIONS / "es_MX" / "LC_MESSAGES" / "messages.po"
SPANISH_MO = SPANISH_PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
REQUIRED_ES = "Este campo es obligatorio."
REQUIRED_EN = "This field is required."


@pytest.fixture
def browser(app: Flask) -> Callable[[], FlaskClient]:
    """Another browser: its own cookies, its own session."""
    return app.test_client


def page(response: Any) -> str:
    return response.get_data(as_text=True)


def form(**overrides: Any) -> dict[str, Any]:
    data = case_payload(**overrides)
    data["high_complexity"] = "on" if data.pop("high_complexity") else None
    return {k: v for k, v in data.items() if v is not None}


def count_cases(db: Any) -> int:
    return db.session.scalar(select(func.count(Case.id)))


def choose_language(client: FlaskClient, locale: str, next_url: str = "/auth/login") -> Any:
    return client.post("/auth/language", data={"locale": locale, "next": next_url})


# --- Which language a person sees ------------------------------------------------------


def test_login_page_is_spanish_by_default(client):
    text = page(client.get("/auth/login"))
    assert '<html lang="es-MX">' in text
    assert "Iniciar sesión" in text
    assert "Log in" not in text


def test_browser_asking_for_english_gets_english(client):
    text = page(client.get("/auth/login", headers={"Accept-Language": "en-US,en;q=0.9"}))
    assert '<html lang="en">' in text
    assert "Log in" in text
    assert "Iniciar sesión" not in text

    text = page(client.get("/auth/login", headers={"Accept-Language": "es-MX,es;q=0.9"}))
    assert "Iniciar sesión" in text


def test_visitor_picks_english_and_keeps_it_for_this_browser_only(client, browser, db):
    response = choose_language(client, "en", "/auth/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"

    # The choice beats the browser's own preference...
    text = page(client.get("/auth/login", headers={"Accept-Language": "es-MX"}))
    assert "Log in" in text
    assert "Iniciar sesión" not in text
    # ...but another browser still starts in Spanish, and no account was touched.
    assert "Iniciar sesión" in page(browser().get("/auth/login"))
    assert db.session.scalar(select(func.count(User.id)).where(User.locale.is_not(None))) == 0

    choose_language(client, "es_MX")
    assert "Iniciar sesión" in page(client.get("/auth/login"))


def test_unknown_language_is_ignored(client, login_as, referring, db):
    login_as(referring)
    response = choose_language(client, "fr", "/cases/")
    assert response.status_code == 302
    db.session.refresh(referring)
    assert referring.locale is None
    assert "Nuevo caso" in page(client.get("/cases/"))


def test_language_switch_does_not_redirect_off_site(client):
    response = choose_language(client, "en", "https://evil.example/phish")
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_logged_in_choice_is_saved_and_sticks_on_the_next_login(
    client, browser, login_as, referring, db
):
    login_as(referring)
    assert "Nuevo caso" in page(client.get("/cases/"))

    response = choose_language(client, "en", "/cases/")
    assert response.headers["Location"] == "/cases/"
    text = page(client.get("/cases/"))
    assert "New case" in text
    assert "Nuevo caso" not in text
    db.session.refresh(referring)
    assert referring.locale == "en"

    # Next day, another computer whose browser prefers Spanish: English after login.
    other = browser()
    assert "Iniciar sesión" in page(other.get("/auth/login", headers={"Accept-Language": "es"}))
    assert login(other, referring).status_code == 302
    text = page(other.get("/cases/", headers={"Accept-Language": "es"}))
    assert "New case" in text
    assert "Nuevo caso" not in text


def test_saved_account_language_beats_a_visitor_choice_made_before_login(
    client, login_as, referring, db
):
    referring.locale = "es_MX"
    db.session.commit()
    choose_language(client, "en")
    assert "Log in" in page(client.get("/auth/login"))
    login_as(referring)
    assert "Nuevo caso" in page(client.get("/cases/"))


# --- Validation messages ----------------------------------------------------------------


def test_case_form_errors_are_in_spanish_then_english_after_switching(
    client, login_as, referring, db
):
    login_as(referring)
    response = client.post("/cases/new", data=form(action="submit", question=""))
    assert response.status_code == 422
    text = page(response)
    assert 'id="question-error"' in text
    assert REQUIRED_ES in text
    assert REQUIRED_EN not in text
    assert count_cases(db) == 0

    choose_language(client, "en", "/cases/new")
    response = client.post("/cases/new", data=form(action="submit", question=""))
    assert response.status_code == 422
    text = page(response)
    assert REQUIRED_EN in text
    assert REQUIRED_ES not in text
    assert count_cases(db) == 0


def test_api_validation_messages_follow_the_account_language(client, referring, db):
    _token, secret = committed(tokens.create_token(referring, "HIS integration"))
    auth = {"Authorization": f"Bearer {secret}"}
    bad = case_payload(question="", age_years="siete")

    response = client.post("/api/v1/cases", json=bad, headers=auth)
    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"]["question"] == [REQUIRED_ES]
    assert body["errors"]["age_years"] == ["Escriba un número entero."]
    assert body["message"] == "Algunos campos necesitan corrección."

    # A program may ask for English per request...
    response = client.post("/api/v1/cases", json=bad, headers={**auth, "Accept-Language": "en"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"]["question"] == [REQUIRED_EN]
    assert body["errors"]["age_years"] == ["Enter a whole number."]
    assert body["message"] == "Some fields need correcting."

    # ...and once the doctor picks English on the web, the API answers in English too.
    login(client, referring)
    choose_language(client, "en", "/cases/")
    client.post("/auth/logout")
    response = client.post("/api/v1/cases", json=bad, headers=auth)
    assert response.status_code == 422
    assert response.get_json()["errors"]["question"] == [REQUIRED_EN]
    assert count_cases(db) == 0


# --- Times in the viewer's zone -----------------------------------------------------------


def test_times_are_shown_in_each_viewers_zone(
    client, login_as, make_case, referring, coordinator, clock
):
    assert clock() == datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    case = make_case()

    login_as(referring)  # HGR No. 1 Tijuana: PST (UTC−8) until 8 March 2026
    for url in ("/cases/", f"/cases/{case.id}"):
        text = page(client.get(url))
        assert "09:00" in text, url
        assert "11:00" not in text and "17:00" not in text, url
    client.post("/auth/logout")

    login_as(coordinator)  # no centre: America/Mexico_City, UTC−6 all year
    for url in ("/cases/", f"/cases/{case.id}"):
        text = page(client.get(url))
        assert "11:00" in text, url
        assert "09:00" not in text and "17:00" not in text, url


def test_tijuana_follows_us_daylight_saving_while_mexico_city_does_not(
    client, login_as, make_case, referring, coordinator, clock
):
    clock.set(datetime(2026, 3, 9, 17, 0, tzinfo=UTC))  # the day after the US switch
    case = make_case()

    login_as(referring)
    text = page(client.get(f"/cases/{case.id}"))
    assert "10:00" in text  # PDT, UTC−7
    assert "09:00" not in text
    client.post("/auth/logout")

    login_as(coordinator)
    text = page(client.get(f"/cases/{case.id}"))
    assert "11:00" in text
    assert "10:00" not in text


# --- The catalog itself --------------------------------------------------------------------


def read_spanish_catalog() -> Any:
    with SPANISH_PO.open("rb") as fh:
        return read_po(fh, locale="es_MX")


def test_every_message_has_a_spanish_translation():
    catalog = read_spanish_catalog()
    assert catalog.num_plurals == 2
    messages = [m for m in catalog if m.id]
    assert len(messages) > 50
    missing = []
    for message in messages:
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if message.fuzzy or not all(s and s.strip() for s in strings):
            missing.append(message.id)
        if message.pluralizable:
            assert len(strings) == 2, message.id
    assert missing == [], f"untranslated or fuzzy in {SPANISH_PO.name}: {missing}"


def test_translations_keep_placeholders_and_plural_forms_intact():
    catalog = read_spanish_catalog()
    problems = [
        (message.id, [str(e) for e in errors]) for message, errors in catalog.check() if errors
    ]
    assert problems == []
    # Babel's checker accepts a translation that drops every placeholder; users would not.
    dropped = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        if any(set(PLACEHOLDER.findall(s or "")) != wanted for s in strings):
            dropped.append(message.id)
    assert dropped == []


def test_every_string_in_the_code_is_in_the_catalog():
    """A new ``_()`` in code or templates fails here until it is extracted and translated."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    in_code = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }
    in_catalog = {m.id if isinstance(m.id, str) else m.id[0] for m in read_spanish_catalog()}
    assert len(in_code) > 50
    assert sorted(in_code - in_catalog) == [], (
        "new strings: run `make extract-messages` and translate them in messages.po"
    )


def test_compiled_catalog_is_up_to_date():
    assert SPANISH_MO.exists(), "run `make install` (pybabel compile) to build messages.mo"
    assert SPANISH_MO.stat().st_mtime >= SPANISH_PO.stat().st_mtime, (
        "messages.po changed since it was compiled: run `make install`"
    )
