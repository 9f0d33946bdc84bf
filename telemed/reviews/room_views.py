"""The session room and the review panel of each agenda case."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("room", __name__)
