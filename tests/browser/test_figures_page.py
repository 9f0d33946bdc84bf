# ruff: noqa: F811  (fixtures imported above are requested by name)
"""In a real browser (issue 17, finding 7): the administrator's figures page at 1366 px and
on a phone. The filter boxes show their whole chosen text ("Todos los comités", "Todos los
estados"), and "this month" charts twelve months, not a single bar."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from telemed.auth.models import User
from tests.browser.fixtures import log_in
from tests.browser.layout import PHONE, SCREEN, cut_selects
from tests.reports.conftest import make_board, network  # noqa: F401  (fixtures for this test)
from tests.reports.dataset import Network

pytestmark = pytest.mark.browser


# The monthly chart as drawn: its bars and the colour of each (Chart.js's own record).
BARS = """
(canvas) => {
  const meta = window.Chart.getChart(canvas).getDatasetMeta(0);
  return meta.data.map((bar) => bar.options.backgroundColor);
}
"""


def test_filters_read_whole_and_a_month_charts_a_year(
    page: Page,
    network: Network,
    admin: User,
    db: Any,
    ui_text: Callable[[str], str],
    screenshot: Callable[[str], None],
    bad_responses: list[str],
) -> None:
    t = ui_text
    email = admin.email
    db.session.close()  # the server thread owns the database while the browser works

    page.set_viewport_size(SCREEN)
    log_in(page, email, t)
    page.get_by_role("link", name=t("Figures"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/reports/overview"))
    expect(page.get_by_label(t("Board"), exact=True)).to_contain_text(t("All boards"))

    for name, size in (("1366", SCREEN), ("390", PHONE)):
        page.set_viewport_size(size)
        for label in (t("Period"), t("From"), t("To"), t("Board"), t("Centre"), t("State")):
            expect(page.get_by_label(label, exact=True)).to_be_visible()
        cut = cut_selects(page, "#report-filters select")
        assert set(cut) == {"period", "board", "centre", "state"}
        assert all(widths == {"chosen": 0, "widest": 0} for widths in cut.values()), (name, cut)
        form = page.locator("#report-filters")
        assert form.evaluate("(form) => form.scrollWidth <= form.clientWidth"), name
        screenshot(f"figures-{name}")

    # "This month" (December 2026) charts January to December, December in full colour.
    page.set_viewport_size(SCREEN)
    canvas = page.locator("#chart-sessions_per_month canvas.report-chart")
    expect(canvas).to_have_attribute("data-rendered", "1")
    colours = canvas.evaluate(BARS)
    assert len(colours) == 12
    pale, full = colours[0], colours[-1]
    assert pale != full and colours[:-1] == [pale] * 11, colours
    note = page.locator("#chart-sessions_per_month-note")
    expect(note).to_contain_text("diciembre de 2026")
    expect(canvas).to_have_attribute("aria-describedby", "chart-sessions_per_month-note")

    # A card's help link leads to its definition, written once at the end of the page.
    card = page.locator("#figure-case_review_sessions")
    expect(card).to_contain_text(t("Telemedicine sessions"))
    card.get_by_role("link", name=re.compile(rf"^{t('Definition')}")).click()
    entry = page.locator(".report-glossary-entry:target")
    expect(entry).to_be_in_viewport()
    expect(entry.locator("dt")).to_have_text(t("Telemedicine sessions"))
    expect(entry.locator("dd")).not_to_be_empty()
    screenshot("figures-definition")
    assert bad_responses == []
