"""Minutes of sessions."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("minutes_api", __name__, url_prefix="/api/v1", description="Minutes of sessions")
