# ruff: noqa: F811  (the review fixtures imported below are requested by name)
"""In a real browser, a whole session (issue 5, item 10): the chair opens the room, marks
attendance, records a recommendation with a haploidentical-transplant referral to HITO and an
agreement, ends the session; the coordinator finalises the minutes; the referring doctor
then reads the recommendation and the referral on the case page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from telemed.agreements.models import Agreement
from telemed.core.clock import Clock
from telemed.extensions import db as _db
from telemed.referrals.models import Referral, ReferralStatus
from telemed.room.models import Recommendation
from telemed.sessions.models import BoardSession
from tests.browser.fixtures import log_in
from tests.scenes.boards import (  # noqa: F401
    PATIENT_REFERENCE,
    accept,
    accepted,
    board,
    chair,
    make_board,
    send,
)
from tests.scenes.referrals import network  # noqa: F401  (fixtures)
from tests.scenes.session import (  # noqa: F401  (the session ready to be held)
    agenda,
    first,
    foreign_case,
    in_session,
    item_for,
    own_case,
    radiologist,
)

pytestmark = pytest.mark.browser


def test_a_session_from_agenda_to_final_minutes_and_the_doctor_reads_the_outcome(
    page: Page, browser: Browser, live_server: str, in_session: BoardSession, own_case,
    chair, referring, coordinator, network, clock: Clock, db: Any,
    ui_text: Callable[[str], str], bad_responses: list[str],
) -> None:  # fmt: skip
    t = ui_text
    session_id, starts_at = in_session.id, in_session.starts_at
    item = item_for(in_session, own_case)
    item_id, agenda_code, case_id = item.id, item.agenda_code, own_case.id
    chair_id, referring_id = chair.id, referring.id
    emails = {"chair": chair.email, "coordinator": coordinator.email, "doctor": referring.email}
    hito_id, hito_name = network["hito"].id, network["hito"].name
    db.session.close()  # the server thread owns the database while the browser works

    # The chair opens the room at the start, marks who is present and starts the session.
    log_in(page, emails["chair"], t)
    page.goto(f"/sessions/{session_id}/room")
    expect(page.locator("#room-agenda")).to_contain_text(agenda_code)
    for user_id in (chair_id, referring_id):
        person = page.locator(f"#room-people li[data-user='{user_id}']")
        person.locator("button[name=present][value=true]").click()
        expect(
            page.locator(f"#room-people li[data-user='{user_id}'] button[name=present][value=true]")
        ).to_have_class(re.compile(r"\bbtn-success\b"))
    page.locator("#start-session").click()
    expect(page.locator("#started-at")).not_to_have_text(t("not yet"))

    # The review panel: the outcome and a structured recommendation.
    page.locator(f"#agenda-{item_id} a[href*='/items/']").first.click()
    expect(page).to_have_url(re.compile(rf"/sessions/{session_id}/items/{item_id}$"))
    page.locator("#outcome-discussed").check()
    page.locator("#category").select_option("referral")
    page.locator("#text").fill("Candidata a trasplante haploidéntico; referir a HITO.")
    page.locator("#consensus-yes").check()
    page.locator("#responsible").fill("Oncología pediátrica, HGR No. 1 Tijuana")
    page.locator("#record-outcome").click()
    expect(page).to_have_url(re.compile(rf"/sessions/{session_id}/room"))
    expect(page.locator(f"#agenda-{item_id} .outcome")).to_have_text(t("discussed"))
    page.goto(f"/sessions/{session_id}/items/{item_id}")
    expect(page.locator("#case-status")).to_have_text(t("recommendation issued"))

    # From the recommendation, a haploidentical transplant referral to HITO (suggested first).
    recommendation_id = _db.session.scalars(select(Recommendation.id)).one()
    _db.session.close()
    page.goto(f"/recommendations/{recommendation_id}/refer")
    prefix = f"#refer-{recommendation_id}"
    page.locator(f"{prefix}-type").select_option("haploidentical")
    centres = page.locator(f"{prefix}-centre")
    expect(centres.locator("option").first).to_have_attribute("value", str(hito_id))
    centres.select_option(str(hito_id))
    page.locator(f"{prefix}-reason").fill("Trasplante haploidéntico; madre donadora.")
    page.locator(f"{prefix}-create button[name=send][value='1']").click()
    expect(page).to_have_url(re.compile(r"/referrals/\d+$"))
    expect(page.locator(".referral-status").first).to_have_text(t("sent"))

    # An agreement, read out at the end; then the session ends.
    page.goto(f"/sessions/{session_id}/room")
    page.locator("#agreement-text").fill("Enviar inmunofenotipo y EMR a HITO.")
    page.locator("#agreement-owner").select_option(str(chair_id))
    due = (starts_at + timedelta(days=7)).date().isoformat()
    page.locator("#agreement-due").fill(due)
    page.locator("#agreement-case").select_option(str(case_id))
    page.locator("#agreement-form button[type=submit]").click()
    expect(page.locator("#agreements-list")).to_contain_text("Enviar inmunofenotipo y EMR a HITO.")
    clock.set(starts_at + timedelta(minutes=85))
    page.locator("#end-session").click()
    expect(page.locator("#ended-at")).not_to_have_text(t("not yet"))

    # The coordinator finalises the minutes: codes, never the record number.
    coordinator_page = browser.new_context(base_url=live_server, locale="es-MX").new_page()
    log_in(coordinator_page, emails["coordinator"], t)
    coordinator_page.goto(f"/sessions/{session_id}/minutes")
    coordinator_page.locator("#finalise-form button[type=submit]").click()
    expect(coordinator_page.locator("#minutes-status")).to_have_text(t("final"))
    body = coordinator_page.locator("#minutes-body")
    expect(body).to_contain_text(agenda_code)
    expect(body).to_contain_text("Enviar inmunofenotipo y EMR a HITO.")
    expect(body).not_to_contain_text(PATIENT_REFERENCE)

    # The referring doctor reads the recommendation and the referral on the case page.
    doctor_page = browser.new_context(base_url=live_server, locale="es-MX").new_page()
    log_in(doctor_page, emails["doctor"], t)
    doctor_page.goto(f"/cases/{case_id}")
    expect(doctor_page.locator("#case-status")).to_have_text(t("recommendation issued"))
    expect(doctor_page.locator("body")).to_contain_text(
        "Candidata a trasplante haploidéntico; referir a HITO."
    )
    expect(doctor_page.locator("body")).to_contain_text(hito_name)
    expect(doctor_page.locator("body")).to_contain_text(t("Haploidentical"))
    expect(doctor_page.locator(".referral-status").first).to_have_text(t("sent"))

    assert bad_responses == []
    referral = _db.session.scalars(select(Referral)).one()
    assert referral.status is ReferralStatus.SENT and referral.to_centre_id == hito_id
    assert referral.transplant_type.value == "haploidentical"
    agreement = _db.session.scalars(select(Agreement)).one()
    assert agreement.case_id == case_id and agreement.owner_id == chair_id
