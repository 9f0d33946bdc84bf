"""``GET /api/v1/sessions``: the columns a session list shows, one keyset page at a time
(``core.keyset``), turned into JSON by hand.

Before, each page loaded whole sessions (their JSON order of business too) with their
boards, counted every visible session and dumped each field through marshmallow.
``SessionOutSchema`` still documents the items; a test holds the two equal.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import Row

from telemed.auth.models import User
from telemed.boards.models import Board
from telemed.core.keyset import KeysetPage, fetch_page
from telemed.sessions.api_schemas import local_iso
from telemed.sessions.models import BoardSession
from telemed.sessions.service import filtered_sessions

COLUMNS = (
    BoardSession.id, BoardSession.board_id, Board.name, BoardSession.number, BoardSession.kind,
    BoardSession.status, BoardSession.extraordinary, BoardSession.starts_at,
    BoardSession.ends_at, BoardSession.cutoff_at, Board.timezone, BoardSession.capacity,
    BoardSession.booked, BoardSession.room_url, BoardSession.topic, BoardSession.speaker,
    BoardSession.audience, BoardSession.sequence,
)  # fmt: skip


def session_json(row: Row[*tuple[Any, ...]]) -> dict[str, Any]:
    """Exactly what ``SessionOutSchema`` dumps for the same session."""
    (session_id, board_id, board, number, kind, status, extraordinary, starts_at, ends_at,
     cutoff_at, zone, capacity, booked, room_url, topic, speaker, audience,
     sequence) = row[: len(COLUMNS)]  # fmt: skip
    return {
        "id": session_id,
        "board_id": board_id,
        "board": board,
        "number": number,
        "kind": kind.value,
        "status": status.value,
        "extraordinary": extraordinary,
        "starts_at": starts_at.isoformat(),
        "ends_at": ends_at.isoformat(),
        "cutoff_at": cutoff_at.isoformat(),
        "timezone": zone,
        "starts_at_local": local_iso(starts_at, zone),
        "capacity": capacity,
        "booked": booked,
        "room_url": room_url,
        "topic": topic,
        "speaker": speaker,
        "audience": audience,
        "sequence": sequence,
    }


def session_page(user: User, filters: dict[str, Any]) -> KeysetPage[dict[str, Any]]:
    """A page of the sessions ``user`` may see, earliest first (sessions at the same hour
    by id, so none is repeated or skipped between pages)."""
    query = filtered_sessions(user, filters)
    rows = query.with_only_columns(*COLUMNS, maintain_column_froms=False).join_from(
        BoardSession, Board, Board.id == BoardSession.board_id
    )
    return fetch_page(
        rows,
        query.with_only_columns(BoardSession.id),
        (BoardSession.starts_at, BoardSession.id),
        session_json,
        descending=False,
        per_page=filters.get("per_page") or current_app.config["PAGE_SIZE"],
        page=filters.get("page") or 1,
        after=filters.get("after"),
    )
