# ruff: noqa: F811  (fixtures imported above are requested by name)
"""In a real browser (issue 17, finding 1): a board that carries sixty open agreements since
January 2024 still gets a room that fits in three screens at 1366×768, with the case on the
agenda above the follow-up; the backlog opens on demand and stays markable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from telemed.auth.models import User
from telemed.boards.models import Board
from telemed.sessions.models import BoardSession
from tests.agreements.backlog import backlog
from tests.browser.fixtures import log_in
from tests.browser.layout import PHONE, SCREEN
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
    in_session,
    own_case,
    radiologist,
)

pytestmark = pytest.mark.browser


def test_the_room_of_a_board_with_sixty_open_agreements_fits_three_screens(
    page: Page,
    board: Board,
    in_session: BoardSession,
    chair: User,
    db: Any,
    ui_text: Callable[[str], str],
    screenshot: Callable[[str], None],
    bad_responses: list[str],
) -> None:
    t = ui_text
    agreements = backlog(board, chair, date(2026, 3, 5), count=60)
    oldest_id, session_id, email = agreements[0].id, in_session.id, chair.email
    db.session.close()  # the server thread owns the database while the browser works

    page.set_viewport_size(SCREEN)
    log_in(page, email, t)
    page.goto(f"/sessions/{session_id}/room")
    expect(page.locator("#room-agenda")).to_be_visible()
    screenshot("room-60-agreements-1366")

    height = page.evaluate("document.body.scrollHeight")
    assert height <= 3 * SCREEN["height"], f"the room is {height} px tall"
    # The cases on the agenda are on the first screen.
    assert page.locator("#room-agenda").bounding_box()["y"] < SCREEN["height"]  # type: ignore[index]

    # On a phone (it was 16,700 px there), a few screens too.
    page.set_viewport_size(PHONE)
    height = page.evaluate("document.body.scrollHeight")
    assert height <= 5 * PHONE["height"], f"the room is {height} px tall on a phone"
    page.set_viewport_size(SCREEN)

    # The backlog opens on demand, and each of its agreements can still be marked done.
    older = page.locator("#follow-up-older")
    older.locator("summary").click()
    row = page.locator(f"#agreement-{oldest_id}")
    expect(row).to_be_visible()
    row.get_by_role("button", name=t("Mark done")).click()
    expect(page.locator(f"#follow-up-reported #agreement-{oldest_id}")).to_be_visible()
    assert bad_responses == []
