"""Administrators read, filter and export the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from telemed.audit import service
from telemed.audit.schemas import AuditQuerySchema
from telemed.auth.decorators import admin_required
from telemed.core.clock import local_day_start, now_utc
from telemed.core.csv_export import csv_download
from telemed.core.formatting import local_datetime
from telemed.core.schemas import load_or_raise

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.get("/")
@admin_required
def index() -> ResponseReturnValue:
    filters = load_or_raise(AuditQuerySchema(), request.args.to_dict())
    page = service.search(bounds(filters), filters["page"])
    return render_template("admin/audit.html", page=page, filters=filters, shown=shown)


def shown(value: Any) -> Any:
    """A detail as the page shows it: an instant the service recorded in ISO form
    ("2026-03-06T00:02:00+00:00") as the other times of the page, on the reader's clock. The
    export keeps the recorded value."""
    if isinstance(value, str) and "T" in value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return local_datetime(moment)
    return value


@bp.get("/export.csv")
@admin_required
def export() -> ResponseReturnValue:
    """The entries the page's filters select, all of them, as CSV; the export is audited."""
    filters = load_or_raise(AuditQuerySchema(), request.args.to_dict())
    wanted = {key: value for key, value in request.args.items() if key != "page" and value}
    service.record(current_user, "audit.export", "audit_log", None, filters=wanted)
    stamp = now_utc().strftime("%Y%m%d-%H%M")
    return csv_download(f"audit-{stamp}.csv", service.EXPORT_COLUMNS,
                        service.export_rows(bounds(filters)))  # fmt: skip


def bounds(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters with dates as instants: whole days on the administrator's own clock."""
    zone = ZoneInfo(current_user.display_timezone)
    found = dict(filters)
    if filters.get("date_from"):
        found["date_from"] = local_day_start(filters["date_from"], zone)
    if filters.get("date_to"):
        found["date_to"] = local_day_start(filters["date_to"] + timedelta(days=1), zone)
    return found
