"""One log line per event on standard error: JSON objects in production, plain text elsewhere.

``TELEMED_LOG_FORMAT`` (``json`` or ``text``) picks the shape, ``TELEMED_LOG_LEVEL`` the
threshold. The process's root logger gets one handler, so the application's loggers, the
scheduler's and the libraries' all come out the same way (systemd's journal, or any log
shipper, reads one object per line). Every line written while a request is being answered
carries that request's id (``X-Request-ID``), method and endpoint, so the lines of one
request can be found together and matched with the reverse proxy's log.

What is never logged: patient identifiers, request bodies and query strings. Paths are
logged as their route with numeric ids filled in and any other value left as its name (see
``telemed.ops.request_log.loggable_path``), so the secret tokens of calendar feeds and RSVP
links never reach a log.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

FORMATS = ("json", "text")
# Attributes a request adds to the records logged while it runs (and to its access line).
REQUEST_FIELDS = ("request_id", "method", "endpoint", "path", "status", "duration_ms", "user_id")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestContextFilter(logging.Filter):
    """Stamp each record with the current request's id, method and endpoint (from ``g`` and
    ``request``); outside a request (the scheduler, a command) they stay empty."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            if getattr(record, "request_id", None) is None:
                record.request_id = g.get("request_id")
            if getattr(record, "method", None) is None:
                record.method = request.method
            if getattr(record, "endpoint", None) is None:
                record.endpoint = request.endpoint
        for name in REQUEST_FIELDS:
            if not hasattr(record, name):
                setattr(record, name, None)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the request's
    fields when there is one, and the exception's traceback when one is logged."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in REQUEST_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The development shape: time, level, logger, request id (``-`` outside requests)."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return super().format(record)


class StandardErrorHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the moment (a test's capture, the journal)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        return None


def make_handler(log_format: str) -> logging.Handler:
    handler = StandardErrorHandler()
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    return handler


def init_app(app: Flask) -> None:
    """Send every logger's lines through one handler of the configured format.

    Outside tests the root logger's other handlers go (the scheduler's ``basicConfig``, a
    second ``create_app``), so each event is written once; under pytest its capturing
    handlers stay and only an earlier handler of ours is replaced."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, StandardErrorHandler) or not app.testing:
            root.removeHandler(handler)
    root.addHandler(make_handler(app.config["LOG_FORMAT"]))
    root.setLevel(app.config["LOG_LEVEL"])
    # Alembic's ``fileConfig`` (``flask db upgrade`` in the same process, as the test suite
    # does) disables every logger that existed before it; ours must keep writing.
    for name, logger in logging.Logger.manager.loggerDict.items():
        if isinstance(logger, logging.Logger) and name.split(".")[0] in ("telemed", "scheduler"):
            logger.disabled = False
    app.logger.removeHandler(default_handler)  # Flask's own would write a second, plain line
