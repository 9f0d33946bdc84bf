"""Centre operations: administrators create and edit centres."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import select

from telemed.audit import service as audit
from telemed.centres.models import Centre
from telemed.centres.schemas import CentreInputSchema
from telemed.core.errors import InputError, NotFound
from telemed.core.schemas import load_or_raise
from telemed.extensions import db

if TYPE_CHECKING:
    from telemed.auth.models import User


def list_centres(active_only: bool = False) -> list[Centre]:
    query = select(Centre).order_by(Centre.state, Centre.name)
    if active_only:
        query = query.where(Centre.active.is_(True))
    return list(db.session.scalars(query))


def get_centre(centre_id: int) -> Centre:
    centre = db.session.get(Centre, centre_id)
    if centre is None:
        raise NotFound("centre not found")
    return centre


def save_centre(actor: User | None, data: dict[str, Any], centre: Centre | None = None) -> Centre:
    """Create (``centre=None``) or update a centre from validated input."""
    values = load_or_raise(CentreInputSchema(), data)
    clash = db.session.scalar(select(Centre).where(Centre.code == values["code"]))
    if clash is not None and clash is not centre:
        raise InputError({"code": [_("Another centre already has this code.")]})
    creating = centre is None
    centre = centre or Centre()
    changed = [k for k, v in values.items() if getattr(centre, k, None) != v]
    for key, value in values.items():
        setattr(centre, key, value)
    if creating:
        db.session.add(centre)
    db.session.flush()
    audit.record(
        actor, "centre.create" if creating else "centre.update", "centre", centre.id,
        code=centre.code, changed=changed,
    )  # fmt: skip
    db.session.flush()
    return centre
