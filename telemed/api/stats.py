"""``/api/v1/stats``: the dashboard's figures and tables as JSON, with the page's access
(administrators: the network; coordinators: their boards; anyone else 403)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from telemed.core.schemas import load_or_raise
from telemed.reports.schemas import StatsOutSchema, StatsQuerySchema
from telemed.reports.scope import build_scope
from telemed.reports.service import VIEW_NAMES, run_view

blp = Blueprint(
    "stats_api", __name__, url_prefix="/api/v1/stats", description="The network's figures"
)


@blp.route("", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "schema": StatsQuerySchema}])
@blp.response(200, StatsOutSchema)
@login_required
def stats() -> dict[str, Any]:
    """Figures for a period and filters; every definition comes with its figure."""
    query = load_or_raise(
        StatsQuerySchema(), {**request.args, "view": request.args.getlist("view")}
    )
    scope = build_scope(current_user, request.args, full=query["full"])
    views = query.get("view") or list(VIEW_NAMES)
    return {
        "period": {
            "kind": scope.period.kind, "first": scope.period.first, "last": scope.period.last,
        },
        "filters": {"board": scope.board_filter, "centre": scope.centre, "state": scope.state},
        "views": {name: run_view(name, scope).as_json() for name in dict.fromkeys(views)},
    }  # fmt: skip
