"""Referral pages for the referring and the receiving centre."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("referrals", __name__)
