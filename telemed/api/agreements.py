"""``/api/v1/agreements``: agreements (acuerdos) and their follow-up.

The caller sees the agreements of the sessions they may see (staff all, members their
boards', a referring doctor those of sessions with their centre's cases, where the text of
an agreement about another centre's case is null). Recording is for the board's members
and coordinators; marking done also for the agreement's owner.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from telemed.agreements import service
from telemed.agreements.access import get_visible_agreement
from telemed.agreements.schemas import (
    AgreementCreateInputSchema,
    AgreementDoneInputSchema,
    AgreementListQuerySchema,
    AgreementOutSchema,
    AgreementPageSchema,
)
from telemed.api.common import body_doc, json_body
from telemed.core.errors import InputError
from telemed.core.pagination import page_envelope
from telemed.core.schemas import load_or_raise
from telemed.sessions.access import find_visible_session

blp = Blueprint(
    "agreements_api",
    __name__,
    url_prefix="/api/v1/agreements",
    description="Agreements and their follow-up",
)


@blp.route("", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "schema": AgreementListQuerySchema}])
@blp.response(200, AgreementPageSchema)
@login_required
def list_agreements() -> dict[str, Any]:
    """Agreements the caller may see, earliest due first; filter by board, session, open
    or overdue (past due on the board's clock and not done)."""
    filters = service.parse_list_query(request.args)
    pagination = service.list_agreements(current_user, filters)
    envelope = page_envelope(pagination)
    envelope["items"] = service.views(current_user, list(pagination.items))
    return envelope


@blp.route("", methods=["POST"])
@blp.doc(**body_doc(AgreementCreateInputSchema))
@blp.response(201, AgreementOutSchema)
@login_required
def create_agreement() -> service.AgreementView:
    """Record an agreement in a session; its owner (if a user) is told by email."""
    data = json_body()
    found = load_or_raise(
        AgreementCreateInputSchema(only=("session_id",)),
        {"session_id": data.pop("session_id", None)},
    )
    session = find_visible_session(current_user, found["session_id"])
    if session is None:
        raise InputError({"session_id": [_("There is no session with this number.")]})
    agreement = service.record_agreement(current_user, session, data)
    return service.view(current_user, agreement)


@blp.route("/<int:agreement_id>/done", methods=["POST"])
@blp.doc(**body_doc(AgreementDoneInputSchema, required=False))
@blp.response(200, AgreementOutSchema)
@login_required
def mark_done(agreement_id: int) -> service.AgreementView:
    """Mark an agreement done, with an optional note; it leaves later follow-ups."""
    agreement = get_visible_agreement(current_user, agreement_id)
    body = json_body() if request.content_length else {}
    service.mark_done(current_user, agreement, body)
    return service.view(current_user, agreement)
