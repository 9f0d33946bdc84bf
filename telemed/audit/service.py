"""Writing the audit log; callers commit it together with the change it records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from flask import has_request_context, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, select

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


def matching(filters: dict[str, Any]) -> Select[AuditEntry]:
    """Audit entries, newest first, filtered by actor, action, object and date."""
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
    return query


def search(filters: dict[str, Any], page: int, per_page: int = 50) -> Pagination:
    """A page of the entries the log page shows."""
    return db.paginate(matching(filters), page=page, per_page=per_page, error_out=False)


EXPORT_COLUMNS = ("at_utc", "actor", "action", "object_type", "object_id", "ip_address",
                  "details")  # fmt: skip


def export_rows(filters: dict[str, Any], chunk: int = 1000) -> Iterator[list[Any]]:
    """Every matching entry as a CSV row, read a chunk at a time (newest first, keyset on
    the id) as plain columns, so a log of millions of rows streams in constant memory."""
    actor = AuditEntry.actor.property.mapper  # users: audit sits below auth, never imports it
    columns = (AuditEntry.id, AuditEntry.at, actor.columns["email"], AuditEntry.action,
               AuditEntry.object_type, AuditEntry.object_id, AuditEntry.ip_address,
               AuditEntry.details)  # fmt: skip
    query = matching(filters).with_only_columns(*columns).outerjoin(AuditEntry.actor).limit(chunk)
    last_id: int | None = None
    while True:
        page = query if last_id is None else query.where(AuditEntry.id < last_id)
        rows = db.session.execute(page).all()
        for entry_id, at, email, action, object_type, object_id, address, details in rows:
            last_id = entry_id
            detail = json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str)
            yield [at.isoformat(), email or "", action, object_type, object_id, address, detail]
        if len(rows) < chunk:
            return
