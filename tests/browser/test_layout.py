# ruff: noqa: F811  (fixtures imported above are requested by name)
"""In a real browser (issue 17, findings 3 and 8): every page of the journey fits a 1366 px
laptop and a 390 px phone -- nothing to scroll sideways, no control cut off -- with data as
long as real data gets; on a phone the lists are cards that still show each case's urgency
and status; the agenda's headers keep to one line; and "Move to" offers the other sessions by
date and time, in date order."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from telemed.auth.models import User
from telemed.boards.models import Board
from telemed.sessions.models import BoardSession
from tests.browser.fixtures import log_in
from tests.browser.layout import PHONE, SCREEN, assert_fits, cut_selects
from tests.scenes.boards import (  # noqa: F401  (fixtures for this test)
    accept,
    accepted,
    chair,
    make_board,
    send,
    sessions_of,
)
from tests.scenes.journey import Journey, board, journey  # noqa: F401
from tests.scenes.minutes import held, hito  # noqa: F401
from tests.scenes.session import (  # noqa: F401
    agenda,
    first,
    foreign_case,
    in_session,
    own_case,
    radiologist,
)

pytestmark = pytest.mark.browser


def pages_of(journey: Journey, who: str) -> list[str]:
    """The addresses ``who`` meets on the journey."""
    held, later = journey.held.session, journey.next_session.id
    board = held.board_id
    case, referral = journey.case_with_files.id, journey.referral.id
    shared = ["/cases/", f"/cases/{case}", "/referrals", f"/referrals/{referral}", "/auth/profile"]
    if who == "doctor":
        return ["/cases/new", *shared]
    return [*shared, "/boards/", f"/boards/{board}", f"/sessions/{later}",
            f"/sessions/{later}/room", f"/sessions/{held.id}/room", f"/sessions/{held.id}/minutes",
            "/boards/dashboard", "/reports/"]  # fmt: skip


@pytest.mark.parametrize("size", [SCREEN, PHONE], ids=["1366", "390"])
@pytest.mark.parametrize("who", ["doctor", "coordinator"])
def test_every_page_of_the_journey_fits_the_screen(
    page: Page, journey: Journey, referring: User, coordinator: User, who: str,
    size: dict[str, int], db: Any, ui_text: Callable[[str], str],
    screenshot: Callable[[str], None], bad_responses: list[str],
) -> None:  # fmt: skip
    email = referring.email if who == "doctor" else coordinator.email
    addresses = pages_of(journey, who)
    db.session.close()  # the server thread owns the database while the browser works

    page.set_viewport_size(size)
    failures = []
    if who == "doctor":  # the login page, before anyone logs in
        page.goto("/auth/login")
        failures += misfits(page)
    log_in(page, email, ui_text)
    for address in addresses:
        page.goto(address)
        screenshot(f"layout-{size['width']}-{who}{address.replace('/', '-').rstrip('-')}")
        failures += misfits(page)
    assert not failures, "\n".join(failures)
    assert bad_responses == []


def misfits(page: Page) -> list[str]:
    """``assert_fits``'s message for this page, if any: the test reports every page at once."""
    try:
        assert_fits(page)
    except AssertionError as error:
        return [str(error)]
    return []


def test_on_a_phone_the_case_list_shows_urgency_and_status_on_each_card(
    page: Page, journey: Journey, coordinator: User, db: Any, ui_text: Callable[[str], str]
) -> None:
    t = ui_text
    email = coordinator.email
    db.session.close()

    page.set_viewport_size(PHONE)
    log_in(page, email, t)
    page.goto("/cases/")
    rows = page.locator("#cases-table tbody tr")
    expect(rows.first).to_be_visible()
    for index in range(rows.count()):
        card = rows.nth(index)
        for cell in ("urgency", "status"):
            shown = card.locator(f"[data-label='{t(cell.capitalize())}']")
            expect(shown).to_be_visible()
            box = shown.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


# How many lines each header cell of a table takes (one rectangle per line of text); a header
# read by screen readers only is not shown.
HEADER_LINES = """
(table) => [...table.querySelectorAll('thead th:not(:has(> .visually-hidden))')].map((th) => {
  const range = document.createRange();
  range.selectNodeContents(th);
  const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
  return [th.innerText.trim(), tops.size];
})
"""


def test_the_agenda_headers_keep_to_one_line_and_move_to_offers_dates_in_date_order(
    page: Page, journey: Journey, board: Board, coordinator: User, db: Any,
    ui_text: Callable[[str], str],
) -> None:  # fmt: skip
    coordinator.timezone = "America/Tijuana"  # the board meets on Mexico City's clock
    db.session.commit()
    later = journey.next_session
    item_id, session_id, email = later.pending_items[0].id, later.id, coordinator.email
    others = [s for s in sessions_of(board) if s.id != later.id and s.starts_at > later.starts_at]
    by_date = sorted(others, key=lambda s: s.starts_at)
    expected_numbers = [s.number for s in by_date]
    extraordinary = journey.extraordinary.number
    db.session.close()
    # Real boards are hundreds of sessions in ("n.º 540"): the choices must still read whole.
    db.session.execute(update(BoardSession).values(number=BoardSession.number + 1000))
    db.session.commit()
    expected_numbers = [number + 1000 for number in expected_numbers]
    extraordinary += 1000
    db.session.close()

    page.set_viewport_size(SCREEN)
    log_in(page, email, ui_text)
    page.goto(f"/sessions/{session_id}")
    # "Clave en el orden del día" took four lines; each header is one line now.
    lines = dict(page.locator("#agenda").evaluate(HEADER_LINES))
    assert all(count <= 1 for count in lines.values()), lines
    options = page.locator(f"#transfer-{item_id} option").all_inner_texts()
    # "jue 19 mar, 17:00 · n.º 3": weekday, day, month and the time on the viewer's clock.
    pattern = r"^(lun|mar|mié|jue|vie|sáb|dom) \d{1,2} [a-z]{3}, \d{2}:\d{2} · n\.º (\d+)$"
    numbers = []
    for text in options:
        match = re.match(pattern, text)
        assert match, f"{text!r} does not read as a date, time and number"
        numbers.append(int(match.group(2)))
    assert numbers == expected_numbers
    assert extraordinary in numbers and numbers != sorted(numbers)  # dates, not numbers, rule
    # Thursday 19 March, 18:00 in Mexico City, is 17:00 in Tijuana (summer time since 8 March).
    assert options[0] == f"jue 19 mar, 17:00 · n.º {expected_numbers[0]}", options[0]
    cut = cut_selects(page, "#agenda select")
    assert all(sizes == {"chosen": 0, "widest": 0} for sizes in cut.values()), cut
