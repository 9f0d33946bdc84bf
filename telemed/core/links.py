"""Absolute links for emails, invites and feeds, built from the app's URL map."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import current_app

# What may stay unquoted in a fragment (as Flask's url_for leaves it).
FRAGMENT_SAFE = "%!#$&'()*+,/:;=?@"


def external_url(endpoint: str, *, _anchor: str | None = None, **values: Any) -> str:
    """The absolute URL of ``endpoint`` at the configured public address (``TELEMED_BASE_URL``:
    ``SERVER_NAME``, ``PREFERRED_URL_SCHEME``, ``APPLICATION_ROOT``), as ``url_for(...,
    _external=True)`` builds it outside a request.

    It never looks at the current request, even inside one: a forged ``Host`` header (or a
    proxy's internal scheme or path) must never reach an email, a calendar or a feed, where a
    link is followed later and elsewhere. ``_anchor`` adds a fragment (``#preparation``).
    """
    adapter = current_app.create_url_adapter(None)
    if adapter is None:  # only without SERVER_NAME, which config.validate refuses
        raise RuntimeError("SERVER_NAME is not set: configure TELEMED_BASE_URL")
    current_app.inject_url_defaults(endpoint, values)
    url = adapter.build(endpoint, values, force_external=True)
    if _anchor is not None:
        url = f"{url}#{quote(_anchor, safe=FRAGMENT_SAFE)}"
    return url
