"""Attendance certificates and their public verification page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("certificates", __name__)
