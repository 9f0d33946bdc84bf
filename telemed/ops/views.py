"""The operator's doors: ``/healthz`` (alive), ``/readyz`` (ready for users) and
``/metrics`` (Prometheus).

None needs a login or counts against a rate limit (a probe every few seconds from the load
balancer must never lock anyone out), and none reads the user: they answer even when the
database is down. Their answers carry the same security headers as every other
(``telemed.core.headers``).
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4

from telemed.extensions import limiter
from telemed.ops import metrics, readiness

# ``telemed.auth.login.NO_USER_ENDPOINTS`` names these endpoints: no user is loaded for them.
bp = Blueprint("ops", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz() -> ResponseReturnValue:
    """The process is alive and answering. No database: a slow database must not get a
    healthy process restarted (that is what ``/readyz`` is for)."""
    return {"status": "ok"}


@bp.get("/readyz")
@limiter.exempt
def readyz() -> ResponseReturnValue:
    """200 when the database answers and its migrations are the code's; 503 naming what is
    wrong otherwise."""
    found = readiness.problems()
    if found:
        return jsonify(status="unavailable", problems=found), 503
    return {"status": "ok"}


def from_loopback() -> bool:
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def bearer_matches(token: str) -> bool:
    """The request's ``Authorization: Bearer`` secret equals ``token`` (compared in constant
    time, so the answer's timing tells nothing about how much of a guess was right)."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        secret.strip().encode(), token.encode()
    )


@bp.get("/metrics", endpoint="metrics")
@limiter.exempt
def metrics_page() -> ResponseReturnValue:
    """Prometheus' text format, for whoever holds ``TELEMED_METRICS_TOKEN``.

    Without a token the figures are not served in production (404, as if there were no
    such page); in development they are open to this machine (127.0.0.1) only."""
    token: str | None = current_app.config.get("METRICS_TOKEN")
    if not token:
        if current_app.config["ENV_NAME"] == "production" or not from_loopback():
            abort(404)
    elif not bearer_matches(token):
        return Response(
            "A bearer token (TELEMED_METRICS_TOKEN) is needed.\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
            mimetype="text/plain",
        )
    return Response(metrics.scrape(), content_type=CONTENT_TYPE_PLAIN_0_0_4)
