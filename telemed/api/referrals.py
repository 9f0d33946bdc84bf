"""Referrals and their status changes."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "referrals_api",
    __name__,
    url_prefix="/api/v1/referrals",
    description="Referrals and their status changes",
)
