"""In a real browser: a referring doctor logs in, sends a case with a report, and finds it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from telemed.auth.models import User
from telemed.cases.models import Case, CaseStatus
from tests.conftest import PASSWORD, PDF_BYTES, case_payload

pytestmark = pytest.mark.browser


def field(page: Page, label: str) -> Locator:
    """The form control labelled ``label`` (a required field's label ends with " *")."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}(\s*\*)?$"))


def test_referring_doctor_sends_a_case_with_a_report_and_finds_it(
    page: Page,
    referring: User,
    db: Any,
    tmp_path: Path,
    ui_text: Callable[[str], str],
    screenshot: Callable[[str], None],
    bad_responses: list[str],
) -> None:
    t = ui_text
    data = case_payload()
    report = tmp_path / "estudio-medula.pdf"
    report.write_bytes(PDF_BYTES)
    email = referring.email
    db.session.close()  # the server thread owns the database while the browser works

    page.goto("/auth/login")
    field(page, t("Email")).fill(email)
    field(page, t("Password")).fill(PASSWORD)
    page.get_by_role("button", name=t("Log in"), exact=True).click()
    expect(page.get_by_role("link", name=t("New case"), exact=True)).to_be_visible()

    page.get_by_role("link", name=t("New case"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/cases/new$"))
    field(page, t("Hospital record number")).fill(data["patient_reference"])
    field(page, t("Age (years)")).fill(str(data["age_years"]))
    field(page, t("Months")).fill(str(data["age_months"]))
    field(page, t("Sex")).select_option(data["sex"])
    field(page, t("ICD-10 code")).fill(data["icd10_code"])
    field(page, t("Diagnosis")).fill(data["diagnosis_text"])
    field(page, t("Stage or risk group")).fill(data["stage"])
    field(page, t("Current treatment")).fill(data["current_treatment"])
    field(page, t("Question for the board")).fill(data["question"])
    field(page, t("Kind of request")).select_option(data["request_kind"])
    field(page, t("Board or specialty")).select_option(data["specialty"])
    field(page, t("Urgency")).select_option(data["urgency"])
    field(page, t("High-complexity case")).check()
    field(page, t("Reports and images (PDF, JPEG or PNG)")).set_input_files(report)
    # CSRF protection is on for the live server: the form must carry its token to get through.
    expect(
        page.locator("form[enctype='multipart/form-data'] input[name=csrf_token]")
    ).to_have_count(1)
    screenshot("case-form")
    page.locator("button[name=action][value=submit]").click()

    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    case_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("h1 .case-code")).to_have_text("CE-0001")
    expect(page.locator("#case-status")).to_have_text(t("submitted"))
    expect(page.locator("#attachments")).to_contain_text(report.name)
    screenshot("case-page")

    page.get_by_role("link", name=t("Cases"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/cases/$"))
    expect(page.get_by_role("link", name="CE-0001")).to_be_visible()
    assert data["patient_reference"] not in page.content()  # masked in the list
    screenshot("case-list")

    case = db.session.scalars(select(Case)).one()
    assert case.id == case_id
    assert case.status is CaseStatus.SUBMITTED
    assert case.high_complexity is True
    assert [a.filename for a in case.attachments] == [report.name]
    assert bad_responses == []  # every page, stylesheet and script loaded
