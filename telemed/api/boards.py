"""``/api/v1/boards`` and ``/api/v1/assignments``: the boards, extraordinary sessions and
the assignment run (which places accepted cases on agendas)."""

from __future__ import annotations

from flask_login import current_user, login_required
from flask_smorest import Blueprint

from telemed.api.common import body_doc, json_body
from telemed.api.sessions import SessionDetail, detail
from telemed.boards import service as board_service
from telemed.boards.api_schemas import BoardOutSchema
from telemed.boards.models import Board
from telemed.sessions import assignment
from telemed.sessions import service as session_service
from telemed.sessions.api_schemas import (
    AssignmentReportOutSchema,
    SessionDetailOutSchema,
)
from telemed.sessions.schemas import API_EXTRAORDINARY

blp = Blueprint(
    "boards_api",
    __name__,
    url_prefix="/api/v1",
    description="Tumour boards, their extraordinary sessions and the assignment run",
)


@blp.route("/boards", methods=["GET"])
@blp.response(200, BoardOutSchema(many=True))
@login_required
def list_boards() -> list[Board]:
    """Every board with its rule, capacity, cut-off, quorum and members."""
    return board_service.list_boards()


@blp.route("/boards/<int:board_id>", methods=["GET"])
@blp.response(200, BoardOutSchema)
@login_required
def get_board(board_id: int) -> Board:
    """One board."""
    return board_service.get_board(board_id)


@blp.route("/boards/<int:board_id>/sessions", methods=["POST"])
@blp.doc(**body_doc(API_EXTRAORDINARY))
@blp.response(201, SessionDetailOutSchema)
@login_required
def create_session(board_id: int) -> SessionDetail:
    """Add an extraordinary session at a time on the board's clock (coordinators)."""
    session_service.require_staff(current_user)
    board = board_service.get_board(board_id)
    return detail(session_service.schedule_extraordinary(current_user, board, json_body()))


@blp.route("/assignments", methods=["POST"])
@blp.response(200, AssignmentReportOutSchema)
@login_required
def run_assignment() -> assignment.AssignmentReport:
    """Place every accepted case without a session now, as the scheduler job does
    (coordinators)."""
    session_service.require_staff(current_user)
    return assignment.assign_cases()
