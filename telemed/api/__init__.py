"""The JSON API under ``/api/v1``, documented at ``/api/v1/openapi.json``.

Endpoints accept a personal token (``Authorization: Bearer tm_...``) or the browser's
session cookie. A browser sends the cookie with any request, even one another site's page
makes (a bodiless POST needs no CORS preflight), so a changing request (POST, PUT, PATCH,
DELETE) that comes with the cookie must carry the page's CSRF token in ``X-CSRFToken``
(``api_csrf``); a request with a bearer token cannot be forged by another site (its header
needs a preflight this app never grants) and needs none.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from marshmallow import fields

from telemed.auth.login import is_api_request
from telemed.auth.tokens import bearer_secret
from telemed.extensions import api, csrf

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def api_csrf() -> None:
    """The one CSRF rule of the API (Flask-WTF's form check skips its blueprints): a
    changing request without a bearer token must carry a valid ``X-CSRFToken`` header, or
    it is refused (400, JSON) before its view runs, so nothing changes."""
    if not is_api_request() or request.method in SAFE_METHODS:
        return
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if bearer_secret(request.headers.get("Authorization", "")):
        return
    csrf.protect()


def empty_means_absent(
    self: Any, field: fields.Field[Any], ret: dict[str, Any], **_: Any
) -> dict[str, Any]:
    """Query filters share the pages' rule (``InputSchema.blank_to_none``): an empty value
    (``?status=``) is the filter not given, as an HTML form's blank field sends it. The
    document says so with ``allowEmptyValue`` on every optional query parameter."""
    if ret.get("in") == "query" and not field.required:
        return {"allowEmptyValue": True}
    return {}


def register_api(app: Flask) -> None:
    from telemed.api import (
        agreements,
        boards,
        cases,
        centres,
        me,
        minutes,
        preparation,
        referrals,
        room,
        sessions,
        stats,
    )

    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "Personal API token"}
    )
    api.spec.options["security"] = [{"bearerAuth": []}]
    api.ma_plugin.converter.add_parameter_attribute_function(empty_means_absent)
    for module in (cases, centres, me, boards, sessions, room, referrals, agreements, minutes,
                   preparation, stats):  # fmt: skip
        csrf.exempt(module.blp)  # from the form check: ``api_csrf`` is the API's rule
        api.register_blueprint(module.blp)
    app.before_request(api_csrf)
