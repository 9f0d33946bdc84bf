"""Minutes: draft, review, finalise, addenda, print and PDF."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("minutes", __name__)
