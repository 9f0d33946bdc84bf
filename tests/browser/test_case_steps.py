"""In a real browser: the case page's next steps are labelled buttons; withdrawing asks for a
reason and a second, confirming click (a <details>, no script), and a refusal is said beside
the reason's box."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from telemed.auth.models import User
from telemed.cases.models import Case, CaseStatus
from tests.browser.fixtures import log_in

pytestmark = pytest.mark.browser


def test_withdrawing_is_confirmed_and_needs_a_reason(
    page: Page,
    make_case: Callable[..., Case],
    referring: User,
    db: Any,
    ui_text: Callable[[str], str],
    screenshot: Callable[[str], None],
) -> None:
    t = ui_text
    case_id, code, email = (case := make_case()).id, case.code, referring.email
    db.session.commit()
    db.session.close()  # the server thread owns the database while the browser works

    log_in(page, email, t)
    page.goto(f"/cases/{case_id}")

    steps = page.locator("#next-steps")
    confirm = steps.get_by_role("button", name=t("Yes, withdraw %(code)s") % {"code": code})
    reason = steps.get_by_label(re.compile(rf"^{t('Reason for withdrawing')}"))
    expect(confirm).to_be_hidden()  # one click is not enough to withdraw
    steps.locator("summary").filter(has_text=t("Withdraw the case…")).click()
    expect(confirm).to_be_visible()
    screenshot("case-withdraw-confirm")

    confirm.click()  # no reason
    expect(page.locator("#message-withdraw-error")).to_have_text(
        t("Please write the reason or the question.")
    )
    expect(confirm).to_be_visible()  # still open, beside the box that needs it
    expect(reason).to_have_attribute("aria-invalid", "true")

    reason.fill("La familia decidió continuar el tratamiento en otro hospital.")
    confirm.click()
    expect(page.locator("#case-status")).to_have_text(t("withdrawn"))
    expect(page.locator("#next-steps")).to_have_count(0)  # nothing more to do
    db.session.expire_all()
    assert db.session.get(Case, case_id).status is CaseStatus.WITHDRAWN
