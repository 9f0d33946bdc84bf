# ruff: noqa: F811  (the review fixtures imported below are requested by name)
"""In a real browser: the "refer" form follows the ticked needs without reloading (the small
script asks the suggestions API), and the referral goes through with CSRF protection on."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from telemed.extensions import db as _db
from telemed.referrals.models import Referral, ReferralStatus
from tests.browser.fixtures import log_in
from tests.scenes.boards import accept, accepted, board, chair, make_board, send  # noqa: F401
from tests.scenes.referrals import network, recommend  # noqa: F401  (fixtures)
from tests.scenes.session import (  # noqa: F401  (the session ready to be held)
    agenda,
    first,
    foreign_case,
    in_session,
    own_case,
    radiologist,
)

pytestmark = pytest.mark.browser


def test_ticking_a_transplant_unit_puts_hito_first_and_the_referral_is_sent(
    page: Page, in_session, own_case, chair, coordinator, network, db: Any,
    ui_text: Callable[[str], str], bad_responses: list[str],
) -> None:  # fmt: skip
    t = ui_text
    recommendation = recommend(in_session, own_case, chair, discuss_as=coordinator)
    prefix = f"#refer-{recommendation.id}"
    hito_id = str(network["hito"].id)
    email, url = chair.email, f"/recommendations/{recommendation.id}/refer"
    db.session.close()  # the server thread owns the database while the browser works

    log_in(page, email, t)
    page.goto(url)
    centres = page.locator(f"{prefix}-centre")
    expect(centres.locator("option").first).not_to_have_attribute("value", hito_id)

    # No "Find centres" click: the script refreshes the suggestions and the applied needs.
    page.locator(f"{prefix}-type").select_option("haploidentical")
    expect(centres.locator("option").first).to_have_attribute("value", hito_id)
    expect(page.locator(f"{prefix}-need-has_transplant_unit")).to_be_checked()
    applied = page.locator(f"{prefix}-create .refer-applied input[name=needs]")
    expect(applied).to_have_count(1)
    expect(applied).to_have_attribute("value", "has_transplant_unit")
    page.locator(f"{prefix}-reason").fill("Trasplante haploidéntico; madre donadora.")
    page.locator(f"{prefix}-create button[name=send][value='1']").click()

    expect(page).to_have_url(re.compile(r"/referrals/\d+$"))
    expect(page.locator(".referral-status").first).to_have_text(t("sent"))
    assert bad_responses == []
    referral = _db.session.scalars(select(Referral)).one()
    assert referral.status is ReferralStatus.SENT and referral.to_centre_id == int(hito_id)
    assert referral.transplant_type.value == "haploidentical"
