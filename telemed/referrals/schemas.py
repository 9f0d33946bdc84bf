"""Referral input and output shapes, for the forms, the JSON API and the service alike.

Outputs never carry the patient reference: a referral names its case by code, and the case
summary is the one the receiving centre needs (age, sex, diagnosis, stage, question).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from telemed.cases.models import Sex
from telemed.cases.schemas import CentreRefSchema
from telemed.centres.models import CAPABILITY_FLAGS, CentreKind
from telemed.core.schemas import InputSchema, id_field, page_field
from telemed.referrals.models import ReferralStatus, TransplantType

# Statuses a step can lead to (``proposed`` is where a referral starts, never a step).
STEP_TARGETS = tuple(s.value for s in ReferralStatus if s is not ReferralStatus.PROPOSED)
UNKNOWN_NEED = _l("Choose among the listed resources.")


def needs_field(**kwargs: Any) -> fields.List[str]:
    return fields.List(
        fields.String(validate=validate.OneOf(CAPABILITY_FLAGS, error=UNKNOWN_NEED)),
        metadata={"description": "Capability flags the receiving centre must have."},
        **kwargs,
    )


def dedupe(needs: list[str] | None) -> list[str]:
    """In the order of ``CAPABILITY_FLAGS``, each once."""
    chosen = set(needs or ())
    return [flag for flag in CAPABILITY_FLAGS if flag in chosen]


# --- input ----------------------------------------------------------------------------


class ReferralInputSchema(InputSchema):
    """A referral from a recommendation. A transplant type implies a transplant unit."""

    needs = needs_field(load_default=list)
    transplant_type = fields.Enum(TransplantType, by_value=True, allow_none=True,
                                  load_default=None)  # fmt: skip
    to_centre_id = id_field(
        required=True, metadata={"description": "The receiving centre (see suggestions)."}
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(
            3, 4000, error=_l("Write the reason for the referral (3 to 4000 characters).")
        ),
    )
    send = fields.Boolean(
        load_default=False,
        metadata={"description": "Send it to the receiving centre at once."},
    )

    @validates_schema
    def transplant_needs_a_type(self, data: dict[str, Any], **_: Any) -> None:
        if "has_transplant_unit" in (data.get("needs") or ()) and not data.get("transplant_type"):
            raise ValidationError(_l("Choose the transplant type."), "transplant_type")


class ReferralCreateInputSchema(ReferralInputSchema):
    recommendation_id = id_field(
        required=True, metadata={"description": "The recommendation the referral carries out."}
    )


class ReferralStepInputSchema(InputSchema):
    """A status change; each step reads only the fields it needs."""

    status = fields.String(
        required=True,
        validate=validate.OneOf(STEP_TARGETS, error=_l("Choose one of the steps.")),
        metadata={"enum": list(STEP_TARGETS)},
    )
    note = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=4000))
    scheduled_for = fields.Date(
        allow_none=True, load_default=None,
        metadata={"description": "Required to schedule: the day at the receiving centre."},
    )  # fmt: skip
    pending_studies = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=4000),
        metadata={"description": "Required to start the evaluation: what is still pending."},
    )  # fmt: skip


class ReferralNoteInputSchema(InputSchema):
    note = fields.String(
        required=True,
        validate=validate.Length(1, 4000, error=_l("Write the note (up to 4000 characters).")),
    )


class ReferralListQuerySchema(InputSchema):
    class Meta:
        unknown = "exclude"

    status = fields.Enum(ReferralStatus, by_value=True, allow_none=True)
    direction = fields.String(
        allow_none=True,
        validate=validate.OneOf(("incoming", "outgoing"), error=_l("Choose one of the options.")),
        metadata={"description": "For referring doctors: sent to, or from, their centre."},
    )
    page = page_field()
    per_page = fields.Integer(allow_none=True, validate=validate.Range(1, 100))


class SuggestionQuerySchema(InputSchema):
    """``needs`` repeated or comma-separated; the case's own centre is left out."""

    class Meta:
        unknown = "exclude"

    needs = needs_field(load_default=list)
    case_id = id_field(required=True)
    transplant_type = fields.Enum(TransplantType, by_value=True, allow_none=True,
                                  load_default=None)  # fmt: skip


# --- output ---------------------------------------------------------------------------


class CentreSuggestionSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.Enum(CentreKind, by_value=True)
    state = fields.String()
    city = fields.String()
    capabilities = fields.Function(
        lambda c: [flag for flag in CAPABILITY_FLAGS if getattr(c, flag)],
        metadata={"type": "array", "items": {"type": "string"}},
    )


class ReferralStepOutSchema(Schema):
    at = fields.AwareDateTime()
    actor = fields.Function(lambda s: s.actor.name if s.actor else None,
                            metadata={"type": "string"})  # fmt: skip
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True, metadata={"description": "Null for a note."})
    note = fields.String(allow_none=True)


class ReferralCaseSummarySchema(Schema):
    """What the receiving centre needs to know about the patient, and no more."""

    code = fields.String()
    age_years = fields.Integer(allow_none=True)
    age_months = fields.Integer(allow_none=True)
    sex = fields.Enum(Sex, by_value=True, allow_none=True)
    icd10_code = fields.String(allow_none=True)
    diagnosis_text = fields.String(allow_none=True)
    stage = fields.String(allow_none=True)
    question = fields.String(allow_none=True)


class ReferralOutSchema(Schema):
    """A referral in a list."""

    id = fields.Integer()
    case_code = fields.String(attribute="case.code")
    status = fields.Enum(ReferralStatus, by_value=True)
    from_centre = fields.Nested(CentreRefSchema)
    to_centre = fields.Nested(CentreRefSchema)
    needs = fields.List(fields.String())
    transplant_type = fields.Enum(TransplantType, by_value=True, allow_none=True)
    scheduled_for = fields.Date(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ReferralDetailSchema(ReferralOutSchema):
    reason = fields.String()
    pending_studies = fields.String(allow_none=True)
    case = fields.Nested(ReferralCaseSummarySchema)
    steps = fields.List(fields.Nested(ReferralStepOutSchema))
