"""Preparation before the session: notes, questions, answers, reviewed-by."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("preparation", __name__)
