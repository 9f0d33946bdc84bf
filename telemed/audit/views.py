"""Administrators read and filter the audit log."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from telemed.audit import service
from telemed.audit.schemas import AuditQuerySchema
from telemed.auth.decorators import admin_required
from telemed.core.clock import local_day_start
from telemed.core.schemas import load_or_raise

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.get("/")
@admin_required
def index() -> ResponseReturnValue:
    filters = load_or_raise(AuditQuerySchema(), request.args.to_dict())
    zone = ZoneInfo(current_user.display_timezone)
    bounds = dict(filters)
    if filters.get("date_from"):
        bounds["date_from"] = local_day_start(filters["date_from"], zone)
    if filters.get("date_to"):
        bounds["date_to"] = local_day_start(filters["date_to"] + timedelta(days=1), zone)
    page = service.search(bounds, filters["page"])
    return render_template("admin/audit.html", page=page, filters=filters)
