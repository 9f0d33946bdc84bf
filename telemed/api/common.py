"""Shared pieces of the API: JSON bodies and how they are documented."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest


def body_doc(schema: Any, *, required: bool = True) -> dict[str, Any]:
    """An operation's JSON body for ``@blp.doc``: ``required`` unless the operation also
    works without one (it then answers as the docstring says, e.g. "now")."""
    return {
        "requestBody": {
            "required": required,
            "content": {"application/json": {"schema": schema}},
        }
    }


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 saying what is wrong."""
    if not request.is_json:
        raise BadRequest(_("Send a JSON object with Content-Type: application/json."))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(_("The body must be a JSON object."))
    return data
