"""The case list, for the page and ``GET /api/v1/cases`` alike: one statement that reads
the columns a list shows (no whole cases, centres and submitters), one page at a time by
keyset (``core.keyset``), rows turned into JSON by hand rather than field by field.

Before, a page of 50 loaded 50 cases with their centre and submitter eagerly joined, counted
every visible case, and dumped 905 marshmallow fields; at 100,000 cases that was most of
the request. ``CaseSummarySchema`` still documents the items; a test holds the two equal.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import Row

from telemed.auth.models import User
from telemed.cases.access import visible_cases
from telemed.cases.models import Case, CaseStatus, Urgency, format_case_code, mask_reference
from telemed.cases.service import filtered
from telemed.centres.models import Centre
from telemed.core.keyset import KeysetPage, fetch_page
from telemed.core.vocabulary import RequestKind, Specialty

COLUMNS = (
    Case.id, Case.status, Case.patient_reference, Case.diagnosis_text, Case.icd10_code,
    Case.urgency, Case.specialty, Case.request_kind, Case.high_complexity,
    Case.clinical_deadline, Case.created_at, Case.submitted_at,
    Centre.id, Centre.code, Centre.name, Centre.state,
)  # fmt: skip


class CaseListItem(NamedTuple):
    """A case as a list shows it: the patient reference only masked."""

    id: int
    status: CaseStatus
    masked_reference: str
    diagnosis_text: str | None
    icd10_code: str | None
    urgency: Urgency
    specialty: Specialty | None
    request_kind: RequestKind | None
    high_complexity: bool
    clinical_deadline: date | None
    created_at: datetime
    submitted_at: datetime | None
    centre_id: int
    centre_code: str
    centre_name: str
    centre_state: str

    @classmethod
    def from_row(cls, row: Row[*tuple[Any, ...]]) -> CaseListItem:
        """The row of ``COLUMNS`` (and whatever the page adds after them)."""
        values = list(row[: len(COLUMNS)])
        values[2] = mask_reference(values[2])
        values[8] = bool(values[8])
        return cls(*values)

    @property
    def code(self) -> str:
        return format_case_code(self.id)

    def as_json(self) -> dict[str, Any]:
        """Exactly what ``CaseSummarySchema`` dumps for the same case."""
        return {
            "id": self.id,
            "code": format_case_code(self.id),
            "status": self.status.value,
            "patient_reference_masked": self.masked_reference,
            "diagnosis_text": self.diagnosis_text,
            "icd10_code": self.icd10_code,
            "urgency": self.urgency.value,
            "specialty": self.specialty.value if self.specialty is not None else None,
            "request_kind": self.request_kind.value if self.request_kind is not None else None,
            "high_complexity": self.high_complexity,
            "clinical_deadline": iso(self.clinical_deadline),
            "centre": {
                "id": self.centre_id,
                "code": self.centre_code,
                "name": self.centre_name,
                "state": self.centre_state,
            },
            "created_at": self.created_at.isoformat(),
            "submitted_at": iso(self.submitted_at),
        }


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def case_page(actor: User, filters: dict[str, Any]) -> KeysetPage[CaseListItem]:
    """One page of the cases ``actor`` may see, newest first (the access rule first, then
    the filters, then the page)."""
    query = filtered(visible_cases(actor), filters, actor)
    rows = query.with_only_columns(*COLUMNS, maintain_column_froms=False).join_from(
        Case, Centre, Centre.id == Case.centre_id
    )
    return fetch_page(
        rows,
        query.with_only_columns(Case.id),
        (Case.id,),
        CaseListItem.from_row,
        descending=True,
        per_page=filters.get("per_page") or current_app.config["PAGE_SIZE"],
        page=filters.get("page") or 1,
        after=filters.get("after"),
    )
