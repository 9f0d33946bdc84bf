"""``/api/v1/stats``: the dashboard's figures and tables as JSON, with the page's access
(administrators: the network; coordinators: their boards; anyone else 403)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from telemed.core.conditional import client_has, etag_of, not_modified, revalidated
from telemed.core.memo import Memo
from telemed.core.schemas import load_or_raise
from telemed.reports.answers import view_answers
from telemed.reports.schemas import StatsOutSchema, StatsQuerySchema
from telemed.reports.scope import build_scope
from telemed.reports.service import VIEW_NAMES

blp = Blueprint(
    "stats_api", __name__, url_prefix="/api/v1/stats", description="The network's figures"
)
# The JSON text of the answers this process sent last, by ETag: one ETag is one
# representation, so a repeated read skips the schema's dump and the encoding (a fifth of
# the request; bench/README.md). The schema still shapes the text and the OpenAPI document.
bodies: Memo[bytes] = Memo(64)


@blp.route("", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "schema": StatsQuerySchema}])
@blp.response(200, StatsOutSchema, headers={"ETag": {"schema": {"type": "string"}}})
@blp.alt_response(304, description="Not modified: the ETag given in If-None-Match still holds.")
@login_required
def stats() -> Any:
    """Figures for a period and filters; every definition comes with its figure. Send the
    ETag back in ``If-None-Match``: while the figures are the same the answer is a 304."""
    query = load_or_raise(
        StatsQuerySchema(), {**request.args, "view": request.args.getlist("view")}
    )
    scope = build_scope(current_user, request.args, full=query["full"])
    views = list(dict.fromkeys(query.get("view") or VIEW_NAMES))
    _, found = view_answers(views, scope)
    body = {
        "period": {
            "kind": scope.period.kind, "first": scope.period.first, "last": scope.period.last,
        },
        "filters": {"board": scope.board_filter, "centre": scope.centre, "state": scope.state},
    }  # fmt: skip
    etag = etag_of("stats", body, views, [answer.etag for answer in found])
    if client_has(etag):
        return not_modified(etag)

    def encoded() -> bytes:
        pairs = zip(views, found, strict=True)
        body["views"] = {name: answer.result.as_json() for name, answer in pairs}
        return jsonify(StatsOutSchema().dump(body)).get_data()

    text = bodies.get_or_make(etag, encoded)
    response = current_app.response_class(text, mimetype="application/json")
    return revalidated(response, etag)
