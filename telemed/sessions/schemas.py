"""What coordinators type for a session: its start on the board's own clock, and what an
extraordinary session is about. The forms and the API load the same schemas."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, post_load, validate

from telemed.boards.schemas import time_field
from telemed.core.schemas import InputSchema

# The API names a start ``starts_at_local``; the forms ask for ``start_date`` and ``start_time``.
API_START = "starts_at_local"
FORM_START = ("start_date", "start_time")

LOCAL_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")


LOCAL_MESSAGE = _l("Enter the board's local date and time as YYYY-MM-DDTHH:MM, without offset.")


class LocalDateTime(fields.NaiveDateTime):
    """A wall-clock time on the board's own clock, e.g. ``2026-03-05T18:00``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Not OpenAPI's "date-time", which carries an offset: a wall time on the board's clock.
        self.metadata = {
            **self.metadata, "format": "local-date-time", "pattern": LOCAL_PATTERN.pattern,
            "example": "2026-03-05T18:00",
        }  # fmt: skip

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str) or not LOCAL_PATTERN.match(value):
            raise ValidationError(str(LOCAL_MESSAGE))
        return super()._deserialize(value, attr, data, **kwargs)


def start_field(data: Any) -> str:
    """The field a caller gave the start in, to name it in errors."""
    if isinstance(data, dict) and not any(name in data for name in FORM_START):
        return API_START
    return "start_date"


def start_shape(data: Any) -> tuple[str, ...]:
    """The fields to leave out for this caller: the API's callers send ``starts_at_local``,
    the forms a date and a time (each is refused the other's)."""
    return FORM_START if start_field(data) == API_START else (API_START,)


class LocalStartSchema(InputSchema):
    """A new or moved session's start on the board's own clock. Loaded without the fields of
    the other shape (``start_shape``): ``starts_at_local`` (``2026-03-05T18:00``) from the
    API, or ``start_date`` and ``start_time`` from the forms."""

    starts_at_local = LocalDateTime(
        required=True, metadata={"description": "Start on the board's clock."}
    )
    start_date = fields.Date(required=True)
    start_time = time_field(required=True)

    @post_load
    def combine(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if API_START in data:
            data["local_start"] = data.pop(API_START)
        else:
            data["local_start"] = datetime.combine(data.pop("start_date"), data.pop("start_time"))
        return data


class ExtraordinaryInputSchema(LocalStartSchema):
    """An extraordinary session; training and keynote boards say what it is about."""

    topic = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=300))
    speaker = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    audience = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))


# What the API documents: its callers give the start as ``starts_at_local``.
API_START_SCHEMA = LocalStartSchema(exclude=FORM_START)
API_EXTRAORDINARY = ExtraordinaryInputSchema(exclude=FORM_START)
