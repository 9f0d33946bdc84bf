"""Language and time zone of each request: Spanish (es-MX) first, English available."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user

from telemed.extensions import babel

TRANSLATIONS_DIR = "translations"


def select_locale() -> str:
    """The user's saved choice, then this browser's choice, then the browser's languages."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs: the configured default
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    if request.accept_languages.best_match(["es", "en"]) == "en":
        return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.display_timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(app.root_path + "/" + TRANSLATIONS_DIR),
    )
