"""Base marshmallow schema: translated messages and tolerant handling of blank form fields."""

from __future__ import annotations

import zoneinfo
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, pre_load

from telemed.core.errors import InputError

COMMON_MESSAGES = {
    "required": _l("This field is required."),
    "null": _l("This field is required."),
}
TYPE_MESSAGES = {
    fields.Integer: _l("Enter a whole number."),
    fields.Date: _l("Enter a valid date (YYYY-MM-DD)."),
    fields.Boolean: _l("Choose yes or no."),
    fields.Email: _l("Enter a valid email address."),
    fields.Enum: _l("Choose one of the options."),
    fields.String: _l("Enter text."),
}


class InputSchema(Schema):
    """Input schemas share messages users can read, in their language.

    Blank strings from HTML forms become ``None`` for optional fields and are dropped for
    required ones, so a missing answer reads "This field is required." either way.
    """

    class Meta:
        unknown = "raise"

    def on_bind_field(self, field_name: str, field_obj: fields.Field[Any]) -> None:
        field_obj.error_messages = {**field_obj.error_messages, **COMMON_MESSAGES}
        for field_type, message in TYPE_MESSAGES.items():
            if isinstance(field_obj, field_type):
                field_obj.error_messages["invalid"] = message
                if isinstance(field_obj, fields.Enum):
                    field_obj.error_messages["unknown"] = message
                break

    @pre_load
    def blank_to_none(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, dict):
            return data
        cleaned: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
            field = self.fields.get(key)
            if value == "" and field is not None:
                if field.allow_none:
                    cleaned[key] = None
                continue
            cleaned[key] = value
        return cleaned


def load_or_raise(schema: Schema, data: Any, **kwargs: Any) -> dict[str, Any]:
    """Load with ``schema`` and turn marshmallow errors into the domain's ``InputError``.

    Every input schema loads one JSON object or form into a ``dict`` (none loads ``many``)."""
    try:
        loaded: dict[str, Any] = schema.load(data, **kwargs)
    except ValidationError as err:
        raise InputError(flatten_messages(err.messages)) from None
    return loaded


def flatten_messages(messages: Any) -> dict[str, list[str]]:
    """Marshmallow's nested messages as ``{"field": ["message", ...]}`` with plain strings."""
    if isinstance(messages, list):
        return {"_schema": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        if isinstance(value, dict):
            for sub_key, sub_value in flatten_messages(value).items():
                name = sub_key if key in ("json", "form", "files", "query") else f"{key}.{sub_key}"
                flat.setdefault(name, []).extend(sub_value)
        else:
            flat[str(key)] = [str(m) for m in (value if isinstance(value, list) else [value])]
    return flat


# The zones used in Mexico (DST abolished in 2022 except along the US border).
MEXICAN_TIMEZONES = (
    "America/Mexico_City", "America/Monterrey", "America/Merida", "America/Chihuahua",
    "America/Bahia_Banderas", "America/Cancun", "America/Mazatlan", "America/Hermosillo",
    "America/Tijuana", "America/Ciudad_Juarez", "America/Ojinaga", "America/Matamoros",
)  # fmt: skip


def validate_timezone(name: str) -> None:
    if name not in zoneinfo.available_timezones():
        raise ValidationError(_l("Unknown time zone; use an IANA name such as America/Tijuana."))
