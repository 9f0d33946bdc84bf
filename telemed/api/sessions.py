"""``/api/v1/sessions``: board sessions with their agendas, and coordinators' changes.

Who sees a session: coordinators and administrators all of them, board members those of
their boards, a referring doctor those with one of their centre's cases on the agenda;
anyone else gets 404. On an agenda, a case the caller may not see shows only its agenda
code. Changes (move, cancel, place, remove, reorder) are for coordinators (403 otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify, request
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from telemed.api.common import body_doc, json_body
from telemed.auth.models import User
from telemed.cases.access import seen_case_ids
from telemed.core.errors import InputError, NotFound
from telemed.core.schemas import load_or_raise
from telemed.sessions import access as session_access
from telemed.sessions import agenda as agenda_service
from telemed.sessions import order_of_business
from telemed.sessions import service as session_service
from telemed.sessions.api_schemas import (
    AgendaOrderInputSchema,
    AgendaPlaceInputSchema,
    SessionDetailOutSchema,
    SessionListQuerySchema,
    SessionPageSchema,
)
from telemed.sessions.listing import session_page
from telemed.sessions.models import BoardSession
from telemed.sessions.schemas import API_START_SCHEMA

blp = Blueprint(
    "sessions_api",
    __name__,
    url_prefix="/api/v1/sessions",
    description="Board sessions and their agendas",
)


def staff_session(session_id: int) -> BoardSession:
    """For changes: coordinators only (403), then the session (404)."""
    session_service.require_staff(current_user)
    return session_service.get_session(session_id)


LIST_QUERY = SessionListQuerySchema()  # one for every request (see cases.service.LIST_QUERY)


# --- shaping --------------------------------------------------------------------------


@dataclass
class SessionDetail:
    """A session as ``SessionDetailOutSchema`` dumps it: its own fields plus the agenda
    as the caller may see it."""

    session: BoardSession
    agenda: list[dict[str, Any]]
    order_of_business: list[dict[str, Any]]
    order_final: bool

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def agenda_entries(user: User, session: BoardSession) -> list[dict[str, Any]]:
    items = session.agenda
    shown = seen_case_ids(user, (item.case_id for item in items))
    entries = []
    for item in items:
        visible = item.case_id in shown
        entries.append({
            "id": item.id, "position": item.position, "agenda_code": item.agenda_code,
            "case_id": item.case_id if visible else None,
            "case_code": item.case.code if visible else None,
            "urgency": item.case.urgency if visible else None,
            "pinned": item.pinned, "carried_over": item.carried_over, "outcome": item.outcome,
        })  # fmt: skip
    return entries


def detail(session: BoardSession) -> SessionDetail:
    return SessionDetail(
        session=session,
        agenda=agenda_entries(current_user, session),
        order_of_business=order_of_business.labelled(session),
        order_final=session.order_of_business is not None,
    )


def renamed(err: InputError, **names: str) -> InputError:
    """The services name their own fields; the API names the ones the caller sent."""
    return InputError({names.get(key, key): messages for key, messages in err.errors.items()})


# --- reading --------------------------------------------------------------------------


@blp.route("", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "schema": SessionListQuerySchema}])
@blp.response(200, SessionPageSchema)
@login_required
def list_sessions() -> Response:
    """Sessions the caller may see, earliest first; ``from``/``to`` are days in the caller's
    time zone (inclusive). Follow `next` for the rest (page numbers also work)."""
    filters = load_or_raise(LIST_QUERY, dict(request.args))
    page = session_page(current_user, filters)
    return jsonify(page.envelope(page.items))


@blp.route("/<int:session_id>", methods=["GET"])
@blp.response(200, SessionDetailOutSchema)
@login_required
def get_session(session_id: int) -> SessionDetail:
    """One session with its agenda and order of business."""
    return detail(session_access.get_visible_session(current_user, session_id))


# --- changes (coordinators) -----------------------------------------------------------


@blp.route("/<int:session_id>/move", methods=["POST"])
@blp.doc(**body_doc(API_START_SCHEMA))
@blp.response(200, SessionDetailOutSchema)
@login_required
def move(session_id: int) -> SessionDetail:
    """Give the session a new time; its cases go back to assignment with precedence."""
    session = staff_session(session_id)
    return detail(session_service.reschedule(current_user, session, json_body()))


@blp.route("/<int:session_id>/cancel", methods=["POST"])
@blp.response(200, SessionDetailOutSchema)
@login_required
def cancel(session_id: int) -> SessionDetail:
    """Cancel the session; its cases go back to assignment with precedence."""
    session = staff_session(session_id)
    return detail(session_service.cancel_session(current_user, session))


@blp.route("/<int:session_id>/agenda", methods=["POST"])
@blp.doc(**body_doc(AgendaPlaceInputSchema))
@blp.response(201, SessionDetailOutSchema)
@login_required
def place(session_id: int) -> SessionDetail:
    """Place an accepted case on the agenda by hand (pinned; moves it from another one)."""
    session = staff_session(session_id)
    values = load_or_raise(AgendaPlaceInputSchema(), json_body())
    agenda_service.place_case(current_user, session, values["case_id"])
    return detail(session)


@blp.route("/<int:session_id>/agenda/<int:item_id>", methods=["DELETE"])
@blp.response(200, SessionDetailOutSchema)
@login_required
def remove(session_id: int, item_id: int) -> SessionDetail:
    """Take a case off the agenda; it waits on hold until a coordinator places or
    releases it."""
    session = staff_session(session_id)
    item = agenda_service.get_item(item_id)
    if item.session_id != session.id:
        raise NotFound("agenda entry not found")
    agenda_service.remove_by_hand(current_user, item)
    return detail(session)


@blp.route("/<int:session_id>/agenda/order", methods=["POST"])
@blp.doc(**body_doc(AgendaOrderInputSchema))
@blp.response(200, SessionDetailOutSchema)
@login_required
def reorder(session_id: int) -> SessionDetail:
    """Set the order of business: every pending entry once, first to last."""
    session = staff_session(session_id)
    values = load_or_raise(AgendaOrderInputSchema(), json_body())
    try:
        agenda_service.reorder(current_user, session, values["item_ids"])
    except InputError as err:
        raise renamed(err, order="item_ids") from None
    return detail(session)
