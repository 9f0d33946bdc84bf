"""Agreements and their follow-up."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "agreements_api",
    __name__,
    url_prefix="/api/v1/agreements",
    description="Agreements and their follow-up",
)
