# ruff: noqa: F811  (fixtures imported above are requested by name)
"""In a real browser: the session room keeps its attendance card current and opens the video
button on time, by itself (``static/room.js``). The browser's clock is moved, never waited on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, Response, expect

from telemed.auth.models import User
from telemed.core.clock import Clock
from telemed.room import service as room
from telemed.sessions.models import BoardSession
from tests.browser.fixtures import log_in
from tests.scenes.boards import (  # noqa: F401  (fixtures for this test)
    accept,
    accepted,
    board,
    chair,
    make_board,
    send,
)
from tests.scenes.session import (  # noqa: F401  (fixtures for this test)
    agenda,
    first,
    foreign_case,
    own_case,
    radiologist,
)

pytestmark = pytest.mark.browser


def test_the_room_refreshes_attendance_and_opens_the_video(
    page: Page,
    agenda: BoardSession,
    referring: User,
    chair: User,
    clock: Clock,
    db: Any,
    ui_text: Callable[[str], str],
    bad_responses: list[str],
) -> None:
    t = ui_text
    clock.set(agenda.starts_at - timedelta(minutes=16))
    session_id, room_url, email, chair_id = agenda.id, agenda.room_url, referring.email, chair.id
    db.session.close()  # the server thread owns the database while the browser works

    page.clock.install(time=clock())
    log_in(page, email, t)
    page.goto(f"/sessions/{session_id}/room")
    chair_line = page.locator(f"#room-people li[data-user='{chair_id}']")
    expect(chair_line).to_have_attribute("data-state", "unmarked")
    join = page.locator("#join-video")
    expect(join).to_have_attribute("aria-disabled", "true")

    # A minute later the video opens; the page need not be reloaded. The card refreshes
    # four times meanwhile; each refresh is awaited, so the server thread is idle before this
    # thread writes (an in-memory SQLite connection is shared by the two threads).
    for _ in range(4):
        with page.expect_response(is_attendance_refresh):
            page.clock.run_for(15_000)
    page.clock.run_for(1_000)
    expect(join).to_have_attribute("href", room_url)
    expect(join).not_to_have_attribute("aria-disabled", "true")

    # The chair is marked present elsewhere; the card shows it at its next refresh.
    clock.set(agenda.starts_at - timedelta(minutes=10))
    room.mark_attendance(chair, db.session.get(BoardSession, session_id), chair_id, True)
    db.session.commit()  # as the other runner's request does
    db.session.close()
    with page.expect_response(is_attendance_refresh):
        page.clock.run_for(15_000)
    expect(chair_line).to_have_attribute("data-state", "present")
    assert bad_responses == []


def is_attendance_refresh(response: Response) -> bool:
    """The room card's periodic request (``static/room.js``), answered."""
    return response.url.endswith("/attendance") and response.request.method == "GET"
