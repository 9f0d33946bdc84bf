"""Agreements: recorded in the room, followed up until done."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("agreements", __name__)
