"""Writing the audit log; callers commit it together with the change it records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import has_request_context, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from telemed.audit.models import AuditEntry
from telemed.extensions import db

if TYPE_CHECKING:
    from telemed.auth.models import User


def record(
    actor: User | None,
    action: str,
    object_type: str,
    object_id: int | None,
    **details: Any,
) -> AuditEntry:
    """Add an audit row to the current transaction (the caller commits)."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


def search(filters: dict[str, Any], page: int, per_page: int = 50) -> Pagination:
    """A page of audit entries, newest first, filtered by actor, action, object and date."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if filters.get("actor_email"):
        query = query.where(AuditEntry.actor.has(email=filters["actor_email"].strip().lower()))
    if filters.get("action"):
        query = query.where(AuditEntry.action.startswith(filters["action"]))
    if filters.get("object_type"):
        query = query.where(AuditEntry.object_type == filters["object_type"])
    if filters.get("object_id"):
        query = query.where(AuditEntry.object_id == filters["object_id"])
    if filters.get("date_from"):
        query = query.where(AuditEntry.at >= filters["date_from"])
    if filters.get("date_to"):
        query = query.where(AuditEntry.at < filters["date_to"])
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
