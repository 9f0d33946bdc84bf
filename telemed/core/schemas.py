"""Base marshmallow schema: translated messages, tolerant handling of blank form fields, and
the bounds every number and date typed by a caller is held to."""

from __future__ import annotations

import copy
import zoneinfo
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from telemed.core.errors import InputError

COMMON_MESSAGES = {
    "required": _l("This field is required."),
    "null": _l("This field is required."),
}
# Every primary key is INTEGER on PostgreSQL; a larger number names nothing, and sent to the
# database it overflows (PostgreSQL refuses it, SQLite's driver raises past 2^63).
MAX_ID = 2**31 - 1
# Any other whole number a caller types is held to the same range unless it has its own.
MIN_INT, MAX_INT = -(2**31), 2**31 - 1
# Days and times a caller types: a tumour board plans nothing outside these years, and the
# day after 9999-12-31 does not exist (adding one to it raised).
MIN_YEAR, MAX_YEAR = 1900, 2100
# Deepest page a list serves (with at most 100 per page: the first ten million rows).
MAX_PAGE = 100_000

RANGE_MESSAGE = _l("Enter a whole number from {min} to {max}.")
NUL_MESSAGE = _l("Remove the NUL character (code 0): text cannot hold it.")
YEAR_MESSAGE = _l("Enter a date between the years {min} and {max}.")

TYPE_MESSAGES = {
    fields.Integer: _l("Enter a whole number."),
    fields.Date: _l("Enter a valid date (YYYY-MM-DD)."),
    fields.Boolean: _l("Choose yes or no."),
    fields.Email: _l("Enter a valid email address."),
    fields.Enum: _l("Choose one of the options."),
    fields.String: _l("Enter text."),
}

# marshmallow's own validator messages are English; every validator a schema declares
# without its own ``error`` gets these, so no schema needs to repeat them.
LENGTH_MESSAGES = {
    "message_min": _l("Enter at least {min} characters."),
    "message_max": _l("Enter at most {max} characters."),
    "message_all": _l("Enter from {min} to {max} characters."),
    "message_equal": _l("Enter exactly {equal} characters."),
}
LIST_LENGTH_MESSAGES = {
    "message_min": _l("Choose at least {min}."),
    "message_max": _l("Choose at most {max}."),
    "message_all": _l("Choose from {min} to {max}."),
    "message_equal": _l("Choose exactly {equal}."),
}
RANGE_MESSAGES = {
    "message_min": _l("Enter a value of at least {min}."),
    "message_max": _l("Enter a value of at most {max}."),
    "message_all": _l("Enter a value from {min} to {max}."),
}
# The validators with one message (subclasses before their base: ContainsOnly is a OneOf).
SINGLE_MESSAGES: dict[type[Any], Any] = {
    validate.ContainsOnly: _l("Choose only among the options."),
    validate.OneOf: _l("Choose one of the options."),
    validate.ContainsNoneOf: _l("This value is not allowed."),
    validate.NoneOf: _l("This value is not allowed."),
    validate.Regexp: _l("The value is not in the expected form."),
    validate.Equal: _l("Enter {other}."),
    validate.Email: _l("Enter a valid email address."),
    validate.URL: _l("Enter a valid web address."),
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
        own_validators(field_obj)
        translate_validators(field_obj)
        bound(field_obj)
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


def own_validators(field_obj: fields.Field[Any]) -> None:
    """Give this schema instance's field its own list of validators (inside lists too).

    marshmallow copies a declared field shallowly for each schema instance, so its
    ``validators`` list is the class's: ``bound`` appending to it grew the list by one
    validator per field at every ``Schema()`` (every request), for the life of the process."""
    field_obj.validators = list(field_obj.validators)
    if isinstance(field_obj, fields.List):
        field_obj.inner = copy.copy(field_obj.inner)
        own_validators(field_obj.inner)


def translate_validators(field_obj: fields.Field[Any]) -> None:
    """Give each validator declared without its own ``error`` a message in the reader's
    language (evaluated when the message is raised). Setting the same lazy messages again
    on a shared validator changes nothing."""
    if isinstance(field_obj, fields.List):
        translate_validators(field_obj.inner)
    for validator in field_obj.validators:
        translate_validator(validator, listing=isinstance(field_obj, fields.List))


def translate_validator(validator: Any, *, listing: bool = False) -> None:
    """One validator's English defaults replaced (those given an ``error`` keep it)."""
    if isinstance(validator, validate.Length) and validator.error is None:
        for name, message in (LIST_LENGTH_MESSAGES if listing else LENGTH_MESSAGES).items():
            setattr(validator, name, message)
    elif isinstance(validator, validate.Range) and validator.error is None:
        for name, message in RANGE_MESSAGES.items():
            setattr(validator, name, message)
    elif isinstance(validator, validate.And):
        for inner in validator.validators:
            translate_validator(inner, listing=listing)
    else:
        for kind, message in SINGLE_MESSAGES.items():
            if isinstance(validator, kind):
                if validator.error == kind.default_message:  # (no ``error`` given)
                    validator.error = message
                break


def bound(field_obj: fields.Field[Any]) -> None:
    """Hold a whole number to ``MIN_INT..MAX_INT`` (unless its own range is narrower), a
    day or time to ``MIN_YEAR..MAX_YEAR`` and text to no NUL, inside lists too: nothing a
    caller types reaches the database or date arithmetic out of range. Number ranges show in
    the OpenAPI document."""
    if isinstance(field_obj, fields.List):
        bound(field_obj.inner)
    elif isinstance(field_obj, fields.Integer):
        ranges = [v for v in field_obj.validators if isinstance(v, validate.Range)]
        lowest = max((v.min for v in ranges if v.min is not None), default=None)
        highest = min((v.max for v in ranges if v.max is not None), default=None)
        if lowest is None or highest is None or lowest < MIN_INT or highest > MAX_INT:
            low = MIN_INT if lowest is None else max(lowest, MIN_INT)
            high = MAX_INT if highest is None else min(highest, MAX_INT)
            field_obj.validators.append(validate.Range(low, high, error=RANGE_MESSAGE))
    elif isinstance(field_obj, fields.Date | fields.DateTime):
        field_obj.validators.append(within_years)
    elif isinstance(field_obj, fields.String):
        field_obj.validators.append(no_nul)


def no_nul(value: str) -> None:
    """PostgreSQL's text refuses a NUL character (an error, so a 500); SQLite stores it."""
    if "\x00" in value:
        raise ValidationError(str(NUL_MESSAGE))


def within_years(value: Any) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(str(YEAR_MESSAGE).format(min=MIN_YEAR, max=MAX_YEAR))


def id_field(**kwargs: Any) -> fields.Integer:
    """A row's id, as a caller sends it: 1 to ``MAX_ID`` (documented as such)."""
    return fields.Integer(validate=validate.Range(1, MAX_ID, error=RANGE_MESSAGE), **kwargs)


def as_id(raw: str) -> int:
    """``MultiDict.get(name, type=as_id)``: a form's or address's id; a number outside
    ``1..MAX_ID`` is no id, so the lookup falls back to its default (``ValueError``)."""
    value = int(raw) if len(raw) <= len(str(MAX_ID)) else 0
    if not 1 <= value <= MAX_ID:
        raise ValueError(raw)
    return value


def as_page(raw: str) -> int:
    """``args.get("page", 1, type=as_page)``: a page outside ``1..MAX_PAGE`` is page 1."""
    value = int(raw) if len(raw) <= len(str(MAX_PAGE)) else 0
    if not 1 <= value <= MAX_PAGE:
        raise ValueError(raw)
    return value


def page_field() -> fields.Integer:
    """The page of a list: 1 to ``MAX_PAGE``."""
    return fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE, error=RANGE_MESSAGE))


def load_or_raise(schema: Schema, data: Any, **kwargs: Any) -> dict[str, Any]:
    """Load with ``schema`` and turn marshmallow errors into the domain's ``InputError``.

    Every input schema loads one JSON object or form into a ``dict`` (none loads ``many``)."""
    try:
        loaded: dict[str, Any] = schema.load(data, **kwargs)
    except ValidationError as err:
        raise InputError(flatten_messages(err.messages)) from None
    return loaded


def load_valid_part(
    schema: Schema, data: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Load what is valid of ``data`` and say what was not: a list page's filters with a
    bad value still show the list (filtered by the others) and the error beside that filter.
    """
    try:
        return load_or_raise(schema, data), {}
    except InputError as err:
        errors = err.errors
    rest = {key: value for key, value in data.items() if key not in errors}
    try:
        return load_or_raise(schema, rest), errors
    except InputError as err:  # (a check across fields): no filter rather than a wrong one
        return load_or_raise(schema, {}), {**errors, **err.errors}


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
