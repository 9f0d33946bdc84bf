"""A request id for every request, one access line for each answer, and its latency figure.

The id comes from the reverse proxy's ``X-Request-ID`` (nginx's ``$request_id``, 32 hex
digits) when it is a short string of safe characters, and is generated otherwise; it is
echoed in the answer's ``X-Request-ID`` header and stamped on every log line written while
the request runs (``telemed.ops.logs``), so a user's "error reference" and the proxy's log
lead to the same lines.

``init_app`` must run before any other hook is registered: its ``before_request`` then runs
first (the id exists for every other hook's log lines) and its ``after_request`` last (the
duration includes the commit and the status is the final one).
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request
from sqlalchemy import inspect

from telemed.ops import metrics

log = logging.getLogger("telemed.requests")
HEADER = "X-Request-ID"
# Long enough for a UUID or nginx's 32 hex digits, short enough to keep lines readable; only
# characters that cannot break a log line, a header or a JSON string.
VALID_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
PLACEHOLDER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def request_id() -> str:
    """This request's id: the proxy's if it is well formed, else a new random one."""
    current: str | None = g.get("request_id")
    if current is None:
        given = request.headers.get(HEADER, "").strip()
        current = given if VALID_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_id = current
    return current


def loggable_path(view_args: dict[str, object] | None = None) -> str:
    """The path without what may be secret: the matched route with numeric ids filled in and
    other values left as their names (``/feeds/<token>.ics``, ``/cases/12``); for a path that
    matched no route, only its first segment. Never the query string."""
    rule = request.url_rule
    if rule is None:
        first = request.path.lstrip("/").split("/", 1)
        return "/" + first[0][:40] + ("/…" if len(first) > 1 else "")
    values = view_args if view_args is not None else (request.view_args or {})

    def fill(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return str(value) if isinstance(value, int) else match.group(0)

    return PLACEHOLDER.sub(fill, rule.rule)


def begin() -> None:
    g.request_started = time.perf_counter()
    request_id()


def finish(response: Response) -> Response:
    """Echo the id, count the request in the latency histogram, write the access line."""
    response.headers[HEADER] = request_id()
    started: float = g.get("request_started") or time.perf_counter()
    seconds = time.perf_counter() - started
    endpoint = request.endpoint or "unmatched"
    metrics.observe_request(endpoint, response.status_code, seconds)
    user_id = logged_user_id(g.get("_login_user"))  # only if this request loaded it
    path = loggable_path()
    log.info(
        "%s %s %s",
        request.method,
        path,
        response.status_code,
        extra={
            "request_id": request_id(),
            "method": request.method,
            "endpoint": endpoint,
            "path": path,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
            "user_id": user_id,
        },
    )
    return response


def logged_user_id(user: object) -> int | None:
    """The id of the request's user as it was loaded, without a query: by now the request's
    commit has expired the user, and reading ``user.id`` loaded the whole row again (one
    statement more on every logged-in request)."""
    state = inspect(user, raiseerr=False) if user is not None else None
    identity = state.identity if state is not None else None
    return int(identity[0]) if identity else None


def init_app(app: Flask) -> None:
    app.before_request(begin)
    app.after_request(finish)
