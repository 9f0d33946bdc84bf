"""``/api/v1/cases``: list, submit, read, edit, lifecycle actions and attachments."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_login import current_user, login_required
from flask_smorest import Blueprint
from marshmallow import fields

from telemed.api.common import body_doc, json_body
from telemed.cases import service
from telemed.cases.access import get_visible_attachment, get_visible_case
from telemed.cases.listing import case_page
from telemed.cases.models import Attachment, Case
from telemed.cases.schemas import (
    AttachmentMaterialSchema,
    AttachmentOutSchema,
    CaseDetailSchema,
    CaseInputSchema,
    CaseListQuerySchema,
    CaseSummarySchema,
    TransitionInputSchema,
)
from telemed.core.keyset import KeysetPageSchema
from telemed.core.schemas import load_or_raise
from telemed.core.vocabulary import MaterialKind

blp = Blueprint(
    "cases_api", __name__, url_prefix="/api/v1/cases", description="Cases for a second opinion"
)


class CaseCreateSchema(CaseInputSchema):
    draft = fields.Boolean(
        load_default=False, metadata={"description": "Save as a draft instead of submitting."}
    )


class CasePageSchema(KeysetPageSchema):
    items = fields.List(fields.Nested(CaseSummarySchema), required=True)


class CaseDetailOutSchema(CaseDetailSchema):
    """A case as the API returns it, with the steps the caller may take now."""

    actions = fields.Method(
        "get_actions", metadata={"description": "Lifecycle actions open to the caller."}
    )

    def get_actions(self, case: Case) -> list[str]:
        return [a.name for a in service.available_actions(current_user, case)]


def detail(case: Case) -> Case:
    """The case itself: ``@blp.response`` dumps it once with ``CaseDetailOutSchema``."""
    return case


@blp.route("", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "schema": CaseListQuerySchema}])
@blp.response(200, CasePageSchema)
@login_required
def list_cases() -> Response:
    """Cases the caller may see, newest first, with filters; follow `next` for the rest
    (page numbers also work)."""
    filters = service.parse_list_query(request.args)
    page = case_page(current_user, filters)
    return jsonify(page.envelope([item.as_json() for item in page.items]))


@blp.route("", methods=["POST"])
@blp.doc(**body_doc(CaseCreateSchema))
@blp.response(201, CaseDetailOutSchema)
@login_required
def create_case() -> Case:
    """Submit a case (or save a draft with ``"draft": true``) for the caller's centre."""
    data = json_body()
    draft = load_or_raise(CaseCreateSchema(only=("draft",)), {"draft": data.pop("draft", False)})
    case = service.create_case(current_user, data, submit=not draft["draft"])
    return detail(case)


@blp.route("/<int:case_id>", methods=["GET"])
@blp.response(200, CaseDetailOutSchema)
@login_required
def get_case(case_id: int) -> Case:
    """One case with its attachments and timeline (the read is audited)."""
    case = get_visible_case(current_user, case_id)
    service.record_view(current_user, case)
    return detail(case)


@blp.route("/<int:case_id>", methods=["PATCH"])
@blp.doc(**body_doc(CaseInputSchema))
@blp.response(200, CaseDetailOutSchema)
@login_required
def update_case(case_id: int) -> Case:
    """Edit a draft or a returned case (fields given are changed)."""
    case = get_visible_case(current_user, case_id)
    return detail(service.update_case(current_user, case, json_body()))


@blp.route("/<int:case_id>/actions/<action>", methods=["POST"])
@blp.doc(**body_doc(TransitionInputSchema, required=False))
@blp.response(200, CaseDetailOutSchema)
@login_required
def act(case_id: int, action: str) -> Case:
    """Lifecycle step: submit, accept, return, resubmit, withdraw or close."""
    case = get_visible_case(current_user, case_id)
    body = load_or_raise(TransitionInputSchema(), json_body() if request.content_length else {})
    return detail(service.transition(current_user, case, action, body["message"]))


@blp.route("/<int:case_id>/attachments", methods=["POST"])
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "material": {
                            "type": "string",
                            "enum": [kind.value for kind in MaterialKind],
                            "description": "What the files of this upload are (optional).",
                        },
                    },
                }
            }
        },
    }
)
@blp.response(201, AttachmentOutSchema(many=True))
@login_required
def upload(case_id: int) -> list[Attachment]:
    """Attach PDF, JPEG or PNG files (checked by content) to an open case."""
    case = get_visible_case(current_user, case_id)
    files = [(f.filename or "", f.read()) for f in request.files.getlist("file") if f.filename]
    return service.add_attachments(current_user, case, files, material=request.form.get("material"))


@blp.route("/<int:case_id>/attachments/<int:attachment_id>", methods=["PATCH"])
@blp.doc(**body_doc(AttachmentMaterialSchema))
@blp.response(200, AttachmentOutSchema)
@login_required
def set_material(case_id: int, attachment_id: int) -> Attachment:
    """Say (or correct) what an attachment is; ``null`` clears it."""
    attachment = get_visible_attachment(current_user, case_id, attachment_id)
    return service.set_material(current_user, attachment, json_body())
