"""Filters of the audit log page."""

from __future__ import annotations

from marshmallow import fields, validate

from telemed.core.schemas import InputSchema, id_field, page_field


class AuditQuerySchema(InputSchema):
    class Meta:
        unknown = "exclude"

    actor_email = fields.String(allow_none=True, validate=validate.Length(max=254))
    action = fields.String(allow_none=True, validate=validate.Length(max=60))
    object_type = fields.String(allow_none=True, validate=validate.Length(max=40))
    object_id = id_field(allow_none=True)
    date_from = fields.Date(allow_none=True)
    date_to = fields.Date(allow_none=True)
    page = page_field()
