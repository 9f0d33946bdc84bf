"""Language and time zone of each request: Spanish (es-MX) first, English available."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user

from telemed.extensions import babel

if TYPE_CHECKING:
    from telemed.auth.models import User

TRANSLATIONS_DIR = "translations"


def select_locale() -> str:
    """The user's saved choice, then this browser's choice, then the browser's languages."""
    languages: tuple[str, ...] = current_app.config["LANGUAGES"]
    default: str = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():  # CLI commands and jobs: the configured default
        return default
    if current_user and current_user.is_authenticated:
        user: User = current_user
        if user.locale in languages:
            return user.locale
    chosen: str | None = session.get("locale")
    if chosen in languages:
        return chosen
    if request.accept_languages.best_match(["es", "en"]) == "en":
        return "en"
    return default


def select_timezone() -> str:
    if current_user and current_user.is_authenticated:
        user: User = current_user
        return user.display_timezone
    zone: str = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    return zone


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(app.root_path + "/" + TRANSLATIONS_DIR),
    )
