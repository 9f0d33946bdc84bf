# ruff: noqa: F811  (fixtures imported above are requested by name)
"""In a real browser: an administrator opens the figures dashboard from the menu, filters it
to all time, sees the hand-counted figures and the drawn chart, keeps the filters when
changing tab, downloads a table as CSV, and reads why a backwards date range is refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from telemed.auth.models import User
from tests.browser.fixtures import log_in
from tests.reports.conftest import (  # noqa: F401  (fixtures for this test)
    csv_rows,
    make_board,
    network,
    page_table,
)
from tests.reports.dataset import Network

pytestmark = pytest.mark.browser

# test_figures.test_overview_all_time, counted by hand from tests/reports/dataset.py.
OVERVIEW_ALL_TIME = {
    "sessions_held": "6",
    "case_review_sessions": "3",
    "training_sessions": "2",
    "keynote_lectures": "1",
    "sessions_cancelled": "2",
    "submitted": "14",
    "accepted": "13",
    "examined": "10",
    "examined_high_complexity": "6",
    "urgent_72h_share": "33.3",
    "referrals": "13",
    "patients_referred": "10",
    "agreements_open": "4",
    "agreements_done": "2",
    "agreements_overdue": "2",
}


def test_administrator_reads_filters_and_downloads_the_dashboard(
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
    console_errors: list[str] = []

    def record(message: ConsoleMessage) -> None:
        # Failed loads are judged by their status below (the 422 is expected).
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            console_errors.append(message.text)

    page.on("console", record)
    page.on("pageerror", lambda error: console_errors.append(str(error)))

    log_in(page, email, t)
    page.get_by_role("link", name=t("Figures"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/reports/overview"))
    expect(page.get_by_role("heading", name=t("Network figures"))).to_be_visible()

    # All time, chosen in the filter form: the cards show the hand-counted figures.
    page.get_by_label(t("Period"), exact=True).select_option("all")
    page.get_by_role("button", name=t("Show"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/reports/overview\?.*period=all"))
    expect(page.locator("#report-period")).to_contain_text(t("All time, up to today."))
    for key, value in OVERVIEW_ALL_TIME.items():
        expect(page.locator(f"#figure-{key} [data-value]")).to_have_attribute("data-value", value)
    expect(page.locator("#figure-sessions_held [data-value]")).to_have_text("6")
    expect(page.locator("#figure-urgent_72h_share [data-value]")).to_have_text(
        re.compile(r"^33[.,]3\s*%$")
    )
    chart = page.locator("#chart-sessions_per_month canvas.report-chart")
    expect(chart).to_have_attribute("data-rendered", "1")
    screenshot("dashboard-overview")

    # The Referrals tab keeps the period and shows who was sent to HITO, from where.
    page.locator("#report-views").get_by_role("link", name=t("Referrals"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/reports/referrals\?.*period=all"))
    expect(page.get_by_label(t("Period"), exact=True)).to_have_value("all")
    hito = page.locator("#table-referred_to_hito")
    expect(hito.locator("tbody tr")).to_have_count(3)
    shown = page_table(page.content(), "referred_to_hito")
    assert shown == [["CMN La Raza", "5"], ["CMN Siglo XXI", "4"], [t("Total"), "9"]]

    # Its CSV holds the same rows, for the same period.
    with page.expect_download() as download_info:
        hito.get_by_role("link", name=t("Download CSV"), exact=True).click()
    download = download_info.value
    assert download.suggested_filename == "referrals-referred_to_hito-all.csv"
    _, rows = csv_rows(Path(download.path()).read_bytes())
    assert rows == shown
    screenshot("dashboard-referrals")

    # A range that ends before it starts is refused, with the reason beside the "To" field.
    page.get_by_label(t("Period"), exact=True).select_option("custom")
    page.get_by_label(t("From"), exact=True).fill("2026-11-30")
    page.get_by_label(t("To"), exact=True).fill("2026-11-01")
    page.get_by_role("button", name=t("Show"), exact=True).click()
    to_field = page.get_by_label(t("To"), exact=True)
    expect(to_field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#to-error")).to_have_text(t("The end of the range is before its start."))
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#report-figures")).to_have_count(0)
    expect(to_field).to_have_value("2026-11-01")  # what was typed stays, to be corrected
    screenshot("dashboard-bad-range")

    # Only the refused filter page itself answered with an error (422); every asset loaded.
    assert [r for r in bad_responses if not re.match(r"422 .*/reports/referrals\?", r)] == []
    assert len(bad_responses) == 1
    assert console_errors == []
