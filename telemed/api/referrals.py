"""``/api/v1/referrals``: referrals and their status changes, with the access of the pages.

Whoever sees a case sees its referrals; the receiving centre's referring doctors see the
referrals sent to their centre with the case summary they need (``case_id`` and
``recommendation_id`` are null for them), never the patient reference. Steps belong to a
side: 403 for the other side's, 409 for a step the status does not allow.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_smorest import Blueprint
from marshmallow import fields

from telemed.api.common import body_doc, json_body
from telemed.cases.access import can_see_case, get_visible_case
from telemed.centres.models import Centre
from telemed.core.errors import InputError
from telemed.core.pagination import PageSchema, page_envelope
from telemed.core.schemas import load_or_raise
from telemed.referrals import service
from telemed.referrals.access import get_visible_referral
from telemed.referrals.models import Referral
from telemed.referrals.schemas import (
    CentreSuggestionSchema,
    ReferralCreateInputSchema,
    ReferralDetailSchema,
    ReferralListQuerySchema,
    ReferralNoteInputSchema,
    ReferralOutSchema,
    ReferralStepInputSchema,
    SuggestionQuerySchema,
)
from telemed.room.access import find_visible_recommendation

blp = Blueprint(
    "referrals_api",
    __name__,
    url_prefix="/api/v1/referrals",
    description="Referrals and their status changes",
)

NULLABLE_INT = {"type": "integer", "nullable": True}


class ReferralListItemSchema(ReferralOutSchema):
    case_id = fields.Method(
        "get_case_id",
        metadata={**NULLABLE_INT, "description": "Null for the receiving centre."},
    )

    def get_case_id(self, referral: Referral) -> int | None:
        return referral.case_id if can_see_case(current_user, referral.case) else None


class ReferralPageOutSchema(PageSchema):
    items = fields.List(fields.Nested(ReferralListItemSchema))


class ReferralDetailOutSchema(ReferralDetailSchema, ReferralListItemSchema):
    """A referral with the case summary, its steps, and what the caller may do now."""

    recommendation_id = fields.Method("get_recommendation_id", metadata=NULLABLE_INT)
    actions = fields.Method(
        "get_actions",
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "Statuses the caller may move the referral to now.",
        },
    )
    can_add_note = fields.Method("get_can_add_note", metadata={"type": "boolean"})

    def get_recommendation_id(self, referral: Referral) -> int | None:
        seen = can_see_case(current_user, referral.case)
        return referral.recommendation_id if seen else None

    def get_actions(self, referral: Referral) -> list[str]:
        return [s.target.value for s in service.available_steps(current_user, referral)]

    def get_can_add_note(self, referral: Referral) -> bool:
        return service.can_add_note(current_user, referral)


def split_needs(args: Any) -> dict[str, Any]:
    """``needs`` repeated (``needs=a&needs=b``) or comma-separated (``needs=a,b``)."""
    data: dict[str, Any] = {k: v for k, v in args.items() if k != "needs"}
    data["needs"] = [n.strip() for value in args.getlist("needs") for n in value.split(",")
                     if n.strip()]  # fmt: skip
    return data


@blp.route("", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "schema": ReferralListQuerySchema}])
@blp.response(200, ReferralPageOutSchema)
@login_required
def list_referrals() -> dict[str, Any]:
    """Referrals the caller may see, most recently changed first."""
    filters = service.parse_list_query(request.args)
    return page_envelope(service.list_referrals(current_user, filters))


@blp.route("", methods=["POST"])
@blp.doc(**body_doc(ReferralCreateInputSchema))
@blp.response(201, ReferralDetailOutSchema)
@login_required
def create_referral() -> Referral:
    """Refer the patient of a recommendation (board members and coordinators)."""
    data = json_body()
    found = load_or_raise(
        ReferralCreateInputSchema(only=("recommendation_id",)),
        {"recommendation_id": data.pop("recommendation_id", None)},
    )
    recommendation = find_visible_recommendation(current_user, found["recommendation_id"])
    if recommendation is None:
        raise InputError({"recommendation_id": [_("There is no recommendation with this number.")]})
    return service.create_referral(current_user, recommendation, data)


@blp.route("/suggestions", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "schema": SuggestionQuerySchema}])
@blp.response(200, CentreSuggestionSchema(many=True))
@login_required
def suggestions() -> list[Centre]:
    """Centres that can resolve what is needed, the case's own left out; for a transplant,
    external partners with a transplant unit (HITO) first."""
    values = load_or_raise(SuggestionQuerySchema(), split_needs(request.args))
    case = get_visible_case(current_user, values["case_id"])
    needs = service.effective_needs(values["needs"], values["transplant_type"])
    transplant = values["transplant_type"] is not None
    return service.suggest_centres(needs, exclude_centre_id=case.centre_id, transplant=transplant)


@blp.route("/<int:referral_id>", methods=["GET"])
@blp.response(200, ReferralDetailOutSchema)
@login_required
def get_referral(referral_id: int) -> Referral:
    """One referral with the case summary and its steps (the read is audited)."""
    referral = get_visible_referral(current_user, referral_id)
    service.record_view(current_user, referral)
    return referral


@blp.route("/<int:referral_id>/status", methods=["POST"])
@blp.doc(**body_doc(ReferralStepInputSchema))
@blp.response(200, ReferralDetailOutSchema)
@login_required
def change_status(referral_id: int) -> Referral:
    """Take a step: sent, cancelled (sending side); accepted, declined, under_evaluation
    (with ``pending_studies``), scheduled (with ``scheduled_for``), completed (receiving)."""
    referral = get_visible_referral(current_user, referral_id)
    return service.change_status(current_user, referral, json_body())


@blp.route("/<int:referral_id>/notes", methods=["POST"])
@blp.doc(**body_doc(ReferralNoteInputSchema))
@blp.response(201, ReferralDetailOutSchema)
@login_required
def add_note(referral_id: int) -> Referral:
    """A dated note from either centre; the status does not change."""
    referral = get_visible_referral(current_user, referral_id)
    service.add_note(current_user, referral, json_body())
    return referral
