"""Shared pieces of the API: JSON bodies and paging envelopes."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 saying what is wrong."""
    if not request.is_json:
        raise BadRequest(_("Send a JSON object with Content-Type: application/json."))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(_("The body must be a JSON object."))
    return data
