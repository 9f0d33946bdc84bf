# ruff: noqa: F811  (fixtures imported above are requested by name)
"""In a real browser, in Spanish (issue 17, finding 10): axe-core finds no serious or critical
violation on the key pages of the journey -- login, case list, the case form, the case page
as the referring doctor and as the coordinator who triages it, the board, the session, the
room and its review panel, the minutes, referrals, the dashboard, the figures, the profile and
the second factor's set-up -- filled with a held session's record. It found the navbar's
links at 2.36:1 contrast where 4.5:1 is needed.

And the journey without a mouse: a referring doctor sends a case and a coordinator accepts it
with Tab, Shift+Tab, the arrow keys, Space and Enter only, a visible focus ring at every stop."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from telemed.auth.models import User
from telemed.boards.models import Board
from telemed.cases import service as case_service
from telemed.cases.models import Case, CaseStatus
from telemed.referrals.models import Referral
from tests.browser.axe import Audit, audit, axe_source  # noqa: F401  (fixtures)
from tests.browser.fixtures import log_in
from tests.browser.keyboard import attach_by_keyboard, choose, focused, tab_to, type_into
from tests.browser.layout import PHONE, SCREEN
from tests.conftest import PASSWORD, PDF_BYTES, PNG_BYTES, case_payload, committed
from tests.scenes.boards import sessions_of
from tests.scenes.minutes import Held
from tests.scenes.session import item_for

pytestmark = pytest.mark.browser


def audit_pages(page: Page, audit: Audit, paths: dict[str, str]) -> list[str]:
    """Visit each page (named for the report) and collect axe's blocking findings on it."""
    found: list[str] = []
    for name, path in paths.items():
        page.goto(path)
        page.wait_for_load_state("load")
        expect(page.locator("html")).to_have_attribute("lang", "es-MX")
        found += audit(page, name)
    return found


def test_the_key_pages_have_no_serious_or_critical_accessibility_violation(
    page: Page,
    audit: Audit,
    held: Held,
    send: Callable[..., Case],
    referring: User,
    coordinator: User,
    db: Any,
    live_server: str,
    ui_text: Callable[[str], str],
    bad_responses: list[str],
) -> None:
    t = ui_text
    session, own_case = held.session, held.own_case
    committed(case_service.add_attachments(referring, own_case, [
        ("informe-patologia.pdf", PDF_BYTES), ("resonancia-columna.png", PNG_BYTES)]))  # fmt: skip
    waiting = send(diagnosis_text="Neuroblastoma suprarrenal izquierdo", urgency="urgent")
    referral = db.session.scalars(
        select(Referral).where(Referral.recommendation_id.is_not(None))
    ).one()
    coming = next(s for s in sessions_of(session.board) if s.starts_at > session.starts_at)
    ids = {"session": session.id, "board": session.board_id, "own": own_case.id,
           "waiting": waiting.id, "item": item_for(session, own_case).id,
           "referral": referral.id, "recommendation": referral.recommendation_id,
           "coming": coming.id}  # fmt: skip
    emails = {"doctor": referring.email, "coordinator": coordinator.email}
    db.session.close()  # the server thread owns the database while the browser works

    page.set_viewport_size(SCREEN)
    found = audit_pages(page, audit, {"login": "/auth/login"})

    log_in(page, emails["doctor"], t)
    found += audit_pages(page, audit, {
        "case list": "/cases/",
        "new-case form": "/cases/new",
        "case page (referring doctor)": f"/cases/{ids['own']}",
        "referrals": "/referrals",
        "referral": f"/referrals/{ids['referral']}",
        "profile": "/auth/profile",
        "second-factor set-up": "/auth/second-factor/setup",
    })  # fmt: skip
    # The form refused (nothing filled in): each error beside its field.
    page.goto("/cases/new")
    page.get_by_role("button", name=t("Send to the board")).click()
    expect(page.locator("#form-errors")).to_be_visible()
    found += audit(page, "new-case form, refused")
    # On a phone, with the menu folded and then open.
    page.set_viewport_size(PHONE)
    found += audit_pages(page, audit, {
        "case list (phone)": "/cases/", "case page (phone)": f"/cases/{ids['own']}"})  # fmt: skip
    page.get_by_role("button", name=t("Menu")).click()
    expect(page.get_by_role("link", name=t("Referrals"), exact=True)).to_be_visible()
    found += audit(page, "menu open (phone)")
    page.set_viewport_size(SCREEN)

    log_in(page, emails["coordinator"], t)
    found += audit_pages(page, audit, {
        "case list (coordinator)": "/cases/",
        "case page (coordinator, next steps)": f"/cases/{ids['waiting']}",
        "board": f"/boards/{ids['board']}",
        "session": f"/sessions/{ids['session']}",
        "room": f"/sessions/{ids['session']}/room",
        "review panel": f"/sessions/{ids['session']}/items/{ids['item']}",
        "preparation": f"/sessions/{ids['session']}/preparation",
        "refer form": f"/recommendations/{ids['recommendation']}/refer",
        "minutes": f"/sessions/{ids['session']}/minutes",
        "room of the coming session": f"/sessions/{ids['coming']}/room",
        "boards": "/boards/",
        "board members": f"/boards/{ids['board']}/members",
        "centres": "/centres/",
        "dashboard": "/boards/dashboard",
        "figures": "/reports/overview?period=all",
    })  # fmt: skip

    assert found == [], "axe found serious or critical violations:\n" + "\n".join(found)
    assert bad_responses == [f"422 {live_server}/cases/new"]  # the refused form, on purpose


def log_in_by_keyboard(page: Page, email: str) -> None:
    """The login page puts the focus in the email box; Tab to the password; Enter sends."""
    page.context.clear_cookies()
    page.goto("/auth/login")
    assert focused(page.locator("#email"))
    page.keyboard.type(email)
    type_into(page, page.locator("#password"), PASSWORD)
    page.keyboard.press("Enter")
    arrived(page, r"/cases/$")


def arrived(page: Page, address: str) -> None:
    """Wait for the page that a key opened: keys pressed before it loads would go astray."""
    expect(page).to_have_url(re.compile(address))
    page.wait_for_load_state("load")


def test_a_case_is_sent_and_accepted_with_the_keyboard_alone(
    page: Page,
    board: Board,
    referring: User,
    coordinator: User,
    db: Any,
    tmp_path: Path,
    ui_text: Callable[[str], str],
    screenshot: Callable[[str], None],
    bad_responses: list[str],
) -> None:
    t = ui_text
    data = case_payload(urgency="urgent", specialty="solid_tumours",
                        urgency_justification="Compresión medular en evolución.")  # fmt: skip
    emails = {"doctor": referring.email, "coordinator": coordinator.email}
    report = tmp_path / "inmunofenotipo.pdf"
    report.write_bytes(PDF_BYTES)
    db.session.close()  # the server thread owns the database while the browser works

    # The referring doctor: from the menu to the form, every field typed or chosen by key.
    log_in_by_keyboard(page, emails["doctor"])
    tab_to(page, page.get_by_role("link", name=t("New case"), exact=True))
    screenshot("keyboard-menu-focus")
    page.keyboard.press("Enter")
    arrived(page, r"/cases/new$")
    form = page.locator("form[enctype='multipart/form-data']")
    for name in ("patient_reference", "age_years", "age_months"):
        type_into(page, form.locator(f"#{name}"), str(data[name]))
    choose(page, form.locator("#sex"), data["sex"])
    for name in ("icd10_code", "diagnosis_text", "stage", "current_treatment", "question"):
        type_into(page, form.locator(f"#{name}"), data[name])
    choose(page, form.locator("#request_kind"), data["request_kind"])
    choose(page, form.locator("#specialty"), data["specialty"])
    choose(page, form.locator("#urgency"), data["urgency"])
    tab_to(page, form.locator("#high_complexity"))
    page.keyboard.press("Space")
    expect(form.locator("#high_complexity")).to_be_checked()
    type_into(page, form.locator("#urgency_justification"), data["urgency_justification"])
    attach_by_keyboard(page, form.locator("#file"), report)  # the test answers the dialog
    choose(page, form.locator("#material"), "pathology_report")
    # Back up with Shift+Tab to put the question right, then on to "Send to the board".
    tab_to(page, form.locator("#question"), backwards=True)
    page.keyboard.press("End")
    page.keyboard.type(" Se adjunta médula ósea.")
    tab_to(page, form.get_by_role("button", name=t("Send to the board")))
    screenshot("keyboard-case-form-focus")
    page.keyboard.press("Enter")

    arrived(page, r"/cases/\d+$")
    expect(page.locator("#case-status")).to_have_text(t("submitted"))
    expect(page.locator("#attachments")).to_contain_text(report.name)
    code = page.locator("h1 .case-code").inner_text()

    # The coordinator: past the menu with the skip link, to the case, to its next steps.
    log_in_by_keyboard(page, emails["coordinator"])
    tab_to(page, page.get_by_role("link", name=t("Skip to content")))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name=code, exact=True))
    page.keyboard.press("Enter")
    arrived(page, r"/cases/\d+$")
    expect(page.locator("h1 .case-code")).to_have_text(code)
    steps = page.locator("#next-steps")
    tab_to(page, steps.get_by_role("button", name=t("Accept the case")))
    page.keyboard.press("Space")
    expect(page.locator("#case-status")).to_have_text(t("accepted"))

    case = db.session.scalars(select(Case)).one()
    assert case.status is CaseStatus.ACCEPTED and case.high_complexity is True
    assert case.question.endswith("Se adjunta médula ósea.")
    assert [(a.filename, a.material.value) for a in case.attachments] == [  # type: ignore[union-attr]
        (report.name, "pathology_report")]  # fmt: skip
    assert case.urgency.value == "urgent" and case.patient_reference == data["patient_reference"]
    assert bad_responses == []
