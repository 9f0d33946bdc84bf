"""Case input and output shapes, for the web form, the JSON API and the service alike."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from telemed.cases.models import CaseStatus, Sex, Urgency
from telemed.core.keyset import cursor_field
from telemed.core.schemas import InputSchema, id_field, page_field
from telemed.core.vocabulary import MaterialKind, RequestKind, Specialty

# ICD-10: a letter, two digits, optionally a dot and one to four more characters (C91.0, C71).
ICD10_PATTERN = r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$"
# Hospital record numbers: letters, digits and a few separators; nothing else reaches storage.
REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9/.\- ]{0,39}$"

CASE_FIELDS = (
    "patient_reference", "age_years", "age_months", "sex", "icd10_code", "diagnosis_text",
    "stage", "current_treatment", "question", "request_kind", "urgency",
    "urgency_justification", "clinical_deadline", "high_complexity", "specialty",
)  # fmt: skip
DRAFT_OPTIONAL = tuple(f for f in CASE_FIELDS if f != "patient_reference")


class CaseInputSchema(InputSchema):
    """What a referring doctor fills in. Drafts load with ``partial=DRAFT_OPTIONAL``."""

    patient_reference = fields.String(
        required=True,
        validate=validate.Regexp(
            REFERENCE_PATTERN,
            error=_l("Use the hospital record number: letters, digits, '-', '/' or '.'."),
        ),
        metadata={"description": "Hospital record number; stored, never shown unmasked in lists."},
    )
    age_years = fields.Integer(
        required=True, validate=validate.Range(0, 120, error=_l("Age must be 0 to 120 years."))
    )
    age_months = fields.Integer(
        load_default=0,
        allow_none=True,
        validate=validate.Range(0, 11, error=_l("Months must be 0 to 11.")),
    )
    sex = fields.Enum(Sex, by_value=True, required=True)
    icd10_code = fields.String(
        required=True,
        validate=validate.Regexp(
            ICD10_PATTERN, error=_l("Enter an ICD-10 code such as C91.0 or C71.")
        ),
    )
    diagnosis_text = fields.String(
        required=True,
        validate=validate.Length(
            3, 300, error=_l("Describe the diagnosis in 3 to 300 characters.")
        ),
    )
    stage = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=120))
    current_treatment = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=4000)
    )
    question = fields.String(
        required=True,
        validate=validate.Length(
            10, 4000, error=_l("Write the question for the board (10 to 4000 characters).")
        ),
    )
    request_kind = fields.Enum(RequestKind, by_value=True, required=True)
    urgency = fields.Enum(Urgency, by_value=True, load_default=Urgency.ROUTINE)
    urgency_justification = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=2000)
    )
    clinical_deadline = fields.Date(allow_none=True, load_default=None)
    high_complexity = fields.Boolean(load_default=False)
    specialty = fields.Enum(Specialty, by_value=True, required=True)

    @validates_schema(skip_on_field_errors=False)
    def urgent_needs_justification(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("urgency") is Urgency.URGENT and not data.get("urgency_justification"):
            raise ValidationError(
                _l("An urgent case needs a justification."), "urgency_justification"
            )


class TransitionInputSchema(InputSchema):
    message = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=4000))


class AttachmentMaterialSchema(InputSchema):
    """What an upload (or an attachment already stored) is: optional, one of the kinds."""

    material = fields.Enum(
        MaterialKind,
        by_value=True,
        allow_none=True,
        load_default=None,
        metadata={"description": "Kind of material, so boards can check what is missing."},
    )


class CaseListQuerySchema(InputSchema):
    """Filters shared by the case list page and ``GET /api/v1/cases``."""

    class Meta:
        unknown = "exclude"

    status = fields.Enum(CaseStatus, by_value=True, allow_none=True)
    centre_id = id_field(allow_none=True)
    specialty = fields.Enum(Specialty, by_value=True, allow_none=True)
    urgency = fields.Enum(Urgency, by_value=True, allow_none=True)
    date_from = fields.Date(allow_none=True)
    date_to = fields.Date(allow_none=True)
    q = fields.String(allow_none=True, validate=validate.Length(max=20))
    page = page_field()
    per_page = fields.Integer(allow_none=True, validate=validate.Range(1, 100))
    after = cursor_field()


class CentreRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    state = fields.String()


class AttachmentOutSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    material = fields.Enum(MaterialKind, by_value=True, allow_none=True)
    uploaded_at = fields.AwareDateTime()
    download_url = fields.Method("get_download_url")

    def get_download_url(self, obj: Any) -> str:
        from flask import url_for

        return url_for("cases.download_attachment", case_id=obj.case_id, attachment_id=obj.id)


class CaseEventOutSchema(Schema):
    at = fields.AwareDateTime()
    kind = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    actor = fields.Function(lambda e: e.actor.name if e.actor else None)


class CaseSummarySchema(Schema):
    """A case in a list: the patient reference only masked."""

    id = fields.Integer()
    code = fields.String()
    status = fields.Enum(CaseStatus, by_value=True)
    patient_reference_masked = fields.String(attribute="masked_reference")
    diagnosis_text = fields.String(allow_none=True)
    icd10_code = fields.String(allow_none=True)
    urgency = fields.Enum(Urgency, by_value=True)
    specialty = fields.Enum(Specialty, by_value=True, allow_none=True)
    request_kind = fields.Enum(RequestKind, by_value=True, allow_none=True)
    high_complexity = fields.Boolean()
    clinical_deadline = fields.Date(allow_none=True)
    centre = fields.Nested(CentreRefSchema)
    created_at = fields.AwareDateTime()
    submitted_at = fields.AwareDateTime(allow_none=True)


class CaseDetailSchema(CaseSummarySchema):
    """A case seen on its own by someone allowed to (the read is audited)."""

    patient_reference = fields.String()
    age_years = fields.Integer(allow_none=True)
    age_months = fields.Integer(allow_none=True)
    sex = fields.Enum(Sex, by_value=True, allow_none=True)
    stage = fields.String(allow_none=True)
    current_treatment = fields.String(allow_none=True)
    question = fields.String(allow_none=True)
    urgency_justification = fields.String(allow_none=True)
    submitted_by = fields.Function(lambda c: c.submitted_by.name)
    attachments = fields.List(fields.Nested(AttachmentOutSchema))
    timeline = fields.List(fields.Nested(CaseEventOutSchema), attribute="events")
    updated_at = fields.AwareDateTime()
