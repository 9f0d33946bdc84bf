"""Attendance, outcomes, recommendations and adherence."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "room_api",
    __name__,
    url_prefix="/api/v1",
    description="Attendance, outcomes, recommendations and adherence",
)
