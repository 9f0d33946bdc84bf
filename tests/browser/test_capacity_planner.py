"""In a real browser (issue 18): an administrator finds the capacity planner under the
figures, is told beside the field what is wrong with a range, queues a small plan, and once
the scheduler's job has run it sees the table, the answer and the chart."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from telemed.auth.models import User
from telemed.core.transaction import unit_of_work
from telemed.simulation import plans
from tests.browser.fixtures import log_in

pytestmark = pytest.mark.browser


def test_an_administrator_plans_capacity_from_the_figures_menu(
    page: Page,
    admin: User,
    db: Any,
    ui_text: Callable[[str], str],
    screenshot: Callable[[str], None],
    bad_responses: list[str],
) -> None:
    t = ui_text
    email = admin.email
    db.session.close()  # the server thread owns the database while the browser works

    log_in(page, email, t)
    page.get_by_role("link", name=t("Figures"), exact=True).click()
    page.get_by_role("link", name=t("Capacity planner"), exact=True).click()
    expect(page.get_by_role("heading", name=t("Capacity planner"))).to_be_visible()

    page.get_by_label(re.compile(rf"^{re.escape(t('Sessions a week'))}")).fill("0")
    page.get_by_role("button", name=t("Queue the plan")).click()
    expect(page.locator("#sessions_per_week-error")).to_be_visible()
    expect(page.locator("#planner-runs")).to_have_count(0)  # nothing was queued

    page.get_by_label(re.compile(rf"^{re.escape(t('Sessions a week'))}")).fill("1")
    page.get_by_label(re.compile(rf"^{re.escape(t('Session length (minutes)'))}")).fill("90")
    page.get_by_label(re.compile(rf"^{re.escape(t('Minutes per case'))}")).fill("10")
    page.get_by_label(re.compile(rf"^{re.escape(t('Weeks simulated for each combination'))}")).fill(
        "1"
    )
    page.get_by_role("button", name=t("Queue the plan")).click()
    expect(page.locator("#plan-status")).to_contain_text(t("Queued"))

    with unit_of_work():  # the scheduler's minute comes round
        assert plans.run_capacity_plans() == 1
    db.session.close()
    page.reload()
    expect(page.locator("#plan-status")).to_contain_text(t("Finished"))
    expect(page.locator("#plan-points tbody tr")).to_have_count(1)
    expect(page.locator("svg.planner-chart circle")).to_have_count(1)
    expect(page.locator("#plan-answer")).to_be_visible()
    screenshot("capacity-planner-result")
    # The one answer of 400 or more is the refused form's own (422, the form again).
    assert [r.split()[0] for r in bad_responses] == ["422"]
