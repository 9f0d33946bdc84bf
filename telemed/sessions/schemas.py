"""Session times typed by coordinators in the forms: a date and time on the board's clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import fields, post_load, validate

from telemed.boards.schemas import time_field
from telemed.core.schemas import InputSchema


class LocalStartSchema(InputSchema):
    """A new or moved session: a date and time on the board's own clock."""

    start_date = fields.Date(required=True)
    start_time = time_field(required=True)

    @post_load
    def combine(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["local_start"] = datetime.combine(data.pop("start_date"), data.pop("start_time"))
        return data


class ExtraordinaryInputSchema(LocalStartSchema):
    topic = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=300))
    speaker = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    audience = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
