"""One error format: readable pages for people, JSON bodies for the API, never tracebacks."""

from __future__ import annotations

import logging
import math
import time
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from telemed.core import transaction
from telemed.core.errors import DomainError, InputError
from telemed.core.schemas import flatten_messages
from telemed.extensions import limiter

log = logging.getLogger(__name__)


def friendly_message(code: int) -> str:
    """What to tell a person for each status, in their language."""
    messages = {
        400: _("The request could not be understood."),
        401: _("Log in to continue."),
        403: _("You do not have access to this page."),
        404: _("We could not find what you were looking for."),
        405: _("This action is not allowed here."),
        409: _("This cannot be done in the current state."),
        413: _("The upload is too large."),
        422: _("Some fields need correcting."),
        429: _("Too many attempts. Wait a minute and try again."),
        500: _("Something went wrong on our side. Nothing was saved; please try again."),
    }
    return messages.get(code, _("The request could not be completed."))


def respond(
    code: int, message: str | None = None, errors: dict[str, list[str]] | None = None
) -> tuple[Response | str, int]:
    """A JSON body for the API, a page for people; and the status."""
    if request.path.startswith("/api/"):
        body: dict[str, Any] = {
            "code": code,
            "status": HTTPStatus(code).phrase,
            "message": message or friendly_message(code),
        }
        if errors:
            body["errors"] = errors
        return jsonify(body), code
    return (
        render_template(
            "errors/error.html",
            code=code,
            message=message or friendly_message(code),
            errors=errors or {},
        ),
        code,
    )


def handle_http(error: HTTPException) -> ResponseReturnValue:
    transaction.rollback()  # before the error page reads anything
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    if code == 422 and ("messages" in data or "errors" in data):
        return respond(422, errors=flatten_messages(data.get("errors") or data["messages"]))
    message = None
    if isinstance(error, CSRFError) and request.path.startswith("/api/"):
        message = _(
            "CSRF token missing or invalid: a request with the session cookie must send the "
            "page's token in the X-CSRFToken header (or use an API token instead)."
        )
    elif isinstance(error, CSRFError):
        message = _("The form expired or was sent from elsewhere. Reload the page and try again.")
    elif code == 413:
        message = _("The upload is too large.")
    elif data.get("message"):
        message = str(data["message"])
    elif code in (401, 403) and error.description and request.path.startswith("/api/"):
        message = error.description
    body, status = respond(code, message)
    extra = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if code == 429 and not any(k.lower() == "retry-after" for k, _v in extra):
        extra.append(("Retry-After", str(retry_after_seconds(error))))
    return body, status, extra


def retry_after_seconds(error: HTTPException) -> int:
    """Seconds until the limit that refused this request lets the client in again, so that
    scripts and browsers wait instead of hammering (and people read how long to wait)."""
    breached = limiter.current_limit
    if breached is not None:
        # The limiter counts in real time, not on the service's injectable clock.
        return max(1, math.ceil(breached.reset_at - time.time()))
    if isinstance(error, RateLimitExceeded):
        return max(1, error.limit.limit.get_expiry())
    return 60


def handle_domain(error: DomainError) -> ResponseReturnValue:
    transaction.rollback()  # before the error page reads anything
    if isinstance(error, InputError):
        return respond(422, errors=error.errors)
    message = error.message if error.status_code != 404 else None
    return respond(error.status_code, message)


def handle_unexpected(error: Exception) -> ResponseReturnValue:
    transaction.rollback()  # before the error page reads anything
    if isinstance(error, HTTPException):
        return handle_http(error)
    log.exception("unhandled error on %s %s", request.method, request.url_rule)
    return respond(InternalServerError.code)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(DomainError, handle_domain)
    app.register_error_handler(Exception, handle_unexpected)
