"""Types for the part of Flask-Babel 4 that telemed uses (Flask-Babel ships no ``py.typed``).

The lazy forms return a ``LazyString``: a proxy that becomes the translated ``str`` where it
is used, typed ``Any`` here because marshmallow, Jinja and ``str.format`` all accept it where
they ask for a ``str``.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from typing import Any

from babel import Locale
from flask import Flask

class Babel:
    def __init__(
        self,
        app: Flask | None = None,
        date_formats: dict[str, str | None] | None = None,
        configure_jinja: bool = True,
        *args: Any,
        **kwargs: Any,
    ) -> None: ...
    def init_app(
        self,
        app: Flask,
        default_locale: str = "en",
        default_domain: str = "messages",
        default_translation_directories: str = "translations",
        default_timezone: str = "UTC",
        locale_selector: Callable[[], str | None] | None = None,
        timezone_selector: Callable[[], str | None] | None = None,
    ) -> None: ...

def get_locale() -> Locale | None: ...
def get_timezone() -> tzinfo | None: ...
def refresh() -> None: ...
def force_locale(locale: str | Locale | None) -> AbstractContextManager[None]: ...
def format_datetime(
    datetime: datetime | None = None, format: str | None = None, rebase: bool = True
) -> str: ...
def format_date(
    date: date | datetime | None = None, format: str | None = None, rebase: bool = True
) -> str: ...
def format_time(
    time: time | datetime | None = None, format: str | None = None, rebase: bool = True
) -> str: ...
def format_decimal(number: float | Decimal, format: str | None = None) -> str: ...
def gettext(string: str, **variables: Any) -> str: ...
def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str: ...
def pgettext(context: str, string: str, **variables: Any) -> str: ...
def lazy_gettext(string: str, **variables: Any) -> Any: ...
def lazy_pgettext(context: str, string: str, **variables: Any) -> Any: ...
