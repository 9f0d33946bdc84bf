"""Attendance, outcomes, recommendations and adherence.

The same rules as the room's pages: a session whose room the caller may not enter, an
agenda entry of a case they may not review, or a recommendation of a case they do not see
is 404; running the session (attendance, times, outcomes, recommendations) is for board
members and coordinators (403 otherwise); adherence is reported by the referring doctors of
the case's centre (403 for anyone else who sees it). Bad input is 422 naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from telemed.api.common import body_doc, json_body
from telemed.cases.access import get_visible_case
from telemed.core.schemas import load_or_raise
from telemed.room import access, service
from telemed.room.models import Recommendation
from telemed.room.schemas import (
    AdherenceInputSchema,
    AttendanceInputSchema,
    OutcomeInputSchema,
    OutcomeOutSchema,
    RecommendationInputSchema,
    RecommendationOutSchema,
    RoomOutSchema,
    TimeInputSchema,
)
from telemed.sessions import access as session_access
from telemed.sessions import service as session_service
from telemed.sessions.models import AgendaItem, BoardSession

blp = Blueprint(
    "room_api",
    __name__,
    url_prefix="/api/v1",
    description="Attendance, outcomes, recommendations and adherence",
)


def room_session(session_id: int) -> BoardSession:
    session = session_service.get_session(session_id)
    session_access.require_room(current_user, session)
    return session


def reviewable_item(item_id: int) -> AgendaItem:
    """An agenda entry whose review the caller may open (404 otherwise)."""
    return access.get_reviewable_item(current_user, item_id)


def room_state(session: BoardSession) -> service.RoomAttendance:
    return service.room_attendance(session)


@dataclass
class Outcome:
    item: AgendaItem
    recommendation: Recommendation | None


# --- attendance and times -------------------------------------------------------------


@blp.route("/sessions/<int:session_id>/attendance", methods=["GET"])
@blp.response(200, RoomOutSchema)
@login_required
def get_attendance(session_id: int) -> service.RoomAttendance:
    """Times, live quorum, who is expected and who was marked present or absent."""
    session = room_session(session_id)
    service.record_view(current_user, "session.attendance", "session", session.id)
    return service.room_attendance(session)


@blp.route("/sessions/<int:session_id>/attendance", methods=["POST"])
@blp.doc(**body_doc(AttendanceInputSchema))
@blp.response(200, RoomOutSchema)
@login_required
def post_attendance(session_id: int) -> service.RoomAttendance:
    """Mark a user present or absent (``user_id``, ``present``) or add a guest (``name``,
    ``unit``)."""
    session = room_session(session_id)
    session_access.require_runner(current_user, session)
    values = load_or_raise(AttendanceInputSchema(), json_body())
    if values["user_id"] is not None:
        service.mark_attendance(current_user, session, values["user_id"], values["present"])
    else:
        service.add_guest(current_user, session, values["name"], values["unit"])
    return room_state(session)


@blp.route("/sessions/<int:session_id>/attendance/<int:attendance_id>", methods=["DELETE"])
@blp.response(200, RoomOutSchema)
@login_required
def delete_attendance(session_id: int, attendance_id: int) -> service.RoomAttendance:
    """Take a line off the attendance (e.g. a guest added by mistake)."""
    session = room_session(session_id)
    session_access.require_runner(current_user, session)
    service.remove_attendance(current_user, service.get_attendance(session, attendance_id))
    return room_state(session)


def optional_body() -> dict[str, Any]:
    """Start and end take an optional body (no body: now)."""
    return json_body() if request.get_data() else {}


@blp.route("/sessions/<int:session_id>/start", methods=["POST"])
@blp.doc(**body_doc(TimeInputSchema, required=False))
@blp.response(200, RoomOutSchema)
@login_required
def start(session_id: int) -> service.RoomAttendance:
    """The session starts now, or at ``at_local`` on the board's clock (a correction)."""
    session = room_session(session_id)
    session_access.require_runner(current_user, session)
    values = load_or_raise(TimeInputSchema(), optional_body())
    service.start_session(current_user, session, values["at_local"])
    return room_state(session)


@blp.route("/sessions/<int:session_id>/end", methods=["POST"])
@blp.doc(**body_doc(TimeInputSchema, required=False))
@blp.response(200, RoomOutSchema)
@login_required
def end(session_id: int) -> service.RoomAttendance:
    """The session ends now, or at ``at_local`` on the board's clock (a correction)."""
    session = room_session(session_id)
    session_access.require_runner(current_user, session)
    values = load_or_raise(TimeInputSchema(), optional_body())
    service.end_session(current_user, session, values["at_local"])
    return room_state(session)


# --- outcomes and recommendations -----------------------------------------------------


@blp.route("/agenda-items/<int:item_id>/outcome", methods=["POST"])
@blp.doc(**body_doc(OutcomeInputSchema))
@blp.response(200, OutcomeOutSchema)
@login_required
def outcome(item_id: int) -> Outcome:
    """Discussed with a recommendation (the case's status becomes "recommendation issued")
    or deferred with a reason (the case goes back to scheduling first)."""
    item = reviewable_item(item_id)
    recommendation = service.record_outcome(current_user, item, json_body())
    return Outcome(item, recommendation)


@blp.route("/agenda-items/<int:item_id>/recommendations", methods=["POST"])
@blp.doc(**body_doc(RecommendationInputSchema))
@blp.response(201, RecommendationOutSchema)
@login_required
def add_recommendation(item_id: int) -> Recommendation:
    """A further recommendation on a case the session already discussed."""
    item = reviewable_item(item_id)
    return service.add_recommendation(current_user, item, json_body())


@blp.route("/cases/<int:case_id>/recommendations", methods=["GET"])
@blp.response(200, RecommendationOutSchema(many=True))
@login_required
def list_recommendations(case_id: int) -> list[Recommendation]:
    """The board's recommendations on a case, oldest first, with their adherence."""
    case = get_visible_case(current_user, case_id)
    service.record_view(current_user, "recommendation.list", "case", case.id, code=case.code)
    return service.case_recommendations(case.id)


@blp.route("/recommendations/<int:recommendation_id>/adherence", methods=["POST"])
@blp.doc(**body_doc(AdherenceInputSchema))
@blp.response(200, RecommendationOutSchema)
@login_required
def adherence(recommendation_id: int) -> Recommendation:
    """Whether the recommendation was carried out: yes, partly or no (with a reason)."""
    recommendation = access.get_visible_recommendation(current_user, recommendation_id)
    return service.record_adherence(current_user, recommendation, json_body())
