"""In a real browser, under the service's strict Content-Security-Policy (no inline script or
style): the key pages of a held session -- login, case list and case, session page, room and
review panel, minutes and their print page, referral and refer form, the figures with their
chart -- load without a single policy violation, and Bootstrap's menu, Chart.js's chart,
the room's script, the refer form's script and the print button still work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from sqlalchemy import select

from telemed.auth.models import User
from telemed.referrals.models import Referral
from telemed.room.models import Recommendation
from tests.browser.fixtures import log_in
from tests.scenes.minutes import Held
from tests.scenes.session import item_for

pytestmark = pytest.mark.browser

# Reports each violation to the test (an exposed function survives navigations; the listener is
# installed before any page script runs, so nothing escapes it).
LISTEN = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.reportViolation([e.violatedDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber,
                          e.sample].join(" "));
});
"""


@pytest.fixture
def violations(page: Page) -> list[str]:
    """Every CSP violation the pages raise, as events and as console messages."""
    found: list[str] = []

    def report(text: str) -> None:
        found.append(text)

    page.expose_function("reportViolation", report)
    page.add_init_script(LISTEN)

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            found.append(f"console: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: found.append(f"page error: {error}"))
    return found


def visit(page: Page, path: str, violations: list[str]) -> None:
    page.goto(path)
    page.wait_for_load_state("load")
    assert violations == [], f"{path}: {violations}"


def test_the_key_pages_run_under_the_policy_without_a_violation(
    page: Page,
    violations: list[str],
    held: Held,
    coordinator: User,
    referring: User,
    db: Any,
    ui_text: Callable[[str], str],
    bad_responses: list[str],
) -> None:
    t = ui_text
    session_id, case_id = held.session.id, held.own_case.id
    item_id = item_for(held.session, held.own_case).id
    hito_referral = db.session.scalars(
        select(Referral.id).where(Referral.recommendation_id.is_not(None))
    ).one()
    recommendation = db.session.scalars(
        select(Recommendation.id).where(Recommendation.case_id == case_id)
    ).one()
    email, doctor = coordinator.email, referring.email
    db.session.close()  # the server thread owns the database while the browser works

    # The policy is really there: the browser enforces what the server sends.
    response = page.goto("/auth/login")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert violations == []

    def log_in_as(address: str) -> None:
        log_in(page, address, t)
        expect(page.get_by_role("link", name=t("Cases"), exact=True)).to_be_visible()
        assert violations == []

    # The referring doctor: their cases, the case form, their case and its referral.
    log_in_as(doctor)
    for path in ("/cases/", "/cases/new", f"/cases/{case_id}", f"/referrals/{hito_referral}",
                 "/auth/profile"):  # fmt: skip
        visit(page, path, violations)

    # The coordinator: every page of the held session.
    log_in_as(email)

    for path in (
        "/cases/",
        f"/cases/{case_id}",
        "/boards/dashboard",
        f"/sessions/{session_id}",
        f"/sessions/{session_id}/room",
        f"/sessions/{session_id}/items/{item_id}",
        f"/sessions/{session_id}/minutes",
        "/referrals",
        f"/referrals/{hito_referral}",
        f"/recommendations/{recommendation}/refer",
    ):
        visit(page, path, violations)
    # Typed text keeps its line breaks through the class that replaced the style attribute.
    page.goto(f"/sessions/{session_id}/items/{item_id}")
    question = page.locator("#question")
    assert question.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"

    # The figures: Chart.js draws its chart inside the policy, at the height the class gives.
    visit(page, "/reports/overview?period=all", violations)
    chart = page.locator("canvas.report-chart").first
    expect(chart).to_have_attribute("data-rendered", "1")
    box = page.locator(".report-chart-box").first.bounding_box()
    assert box is not None and box["height"] in (280, 420)
    assert violations == []

    # The print page: its own stylesheet applies, and the print button (a script file, no
    # onclick attribute any more) opens the print dialog.
    visit(page, f"/sessions/{session_id}/minutes/print", violations)
    header = page.locator(".minutes-header")
    assert header.evaluate("e => getComputedStyle(e).borderBottomStyle") == "solid"
    page.evaluate("window.print = function () { document.body.dataset.printed = '1'; }")
    page.get_by_role("button", name=t("Print"), exact=True).click()
    expect(page.locator("body")).to_have_attribute("data-printed", "1")

    # Bootstrap's menu still opens on a narrow screen (it animates through element.style).
    page.set_viewport_size({"width": 480, "height": 800})
    visit(page, "/cases/", violations)
    menu = page.locator("#nav")
    expect(menu).to_be_hidden()
    page.get_by_role("button", name=t("Menu")).click()
    expect(menu).to_be_visible()
    expect(page.get_by_role("link", name=t("Referrals"), exact=True)).to_be_visible()

    assert violations == []
    assert bad_responses == []

    # Guard for the guard: markup the policy forbids is seen and reported.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    for _ in range(50):  # the event is queued, and reaches the test through the browser
        if violations:
            break
        page.wait_for_timeout(100)
    assert any("style-src" in v for v in violations), violations
