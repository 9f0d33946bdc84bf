"""Account input and output shapes."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from telemed.auth.models import Discipline, Role
from telemed.core.schemas import InputSchema, validate_timezone

MIN_PASSWORD = 8


class UserInputSchema(InputSchema):
    """What an administrator (or ``flask users create``) gives for an account."""

    # A String with the Email validator: fields.Email fixes its message before translation.
    email = fields.String(
        required=True,
        validate=[
            validate.Length(max=254),
            validate.Email(error=_l("Enter a valid email address.")),
        ],
    )
    name = fields.String(required=True, validate=validate.Length(2, 120))
    role = fields.Enum(Role, by_value=True, required=True)
    centre_code = fields.String(allow_none=True, load_default=None)
    discipline = fields.Enum(Discipline, by_value=True, allow_none=True, load_default=None)
    locale = fields.String(
        allow_none=True, load_default=None, validate=validate.OneOf(["es_MX", "en"])
    )
    timezone = fields.String(allow_none=True, load_default=None, validate=validate_timezone)
    password = fields.String(
        load_only=True,
        validate=validate.Length(MIN_PASSWORD, 128, error=_l("Use at least 8 characters.")),
    )
    active = fields.Boolean(load_default=True)

    @validates_schema
    def role_needs(self, data: dict[str, Any], partial: Any = None, **_: Any) -> None:
        role = data.get("role")
        if role is Role.REFERRING and not data.get("centre_code"):
            raise ValidationError(_l("Choose the referring doctor's centre."), "centre_code")
        if role is Role.SPECIALIST and not data.get("discipline"):
            raise ValidationError(_l("Choose the specialist's discipline."), "discipline")


class PasswordChangeSchema(InputSchema):
    current_password = fields.String(required=True)
    new_password = fields.String(
        required=True,
        validate=validate.Length(MIN_PASSWORD, 128, error=_l("Use at least 8 characters.")),
    )
    confirm_password = fields.String(required=True)

    @validates_schema
    def passwords_match(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("new_password") != data.get("confirm_password"):
            raise ValidationError(_l("The two new passwords differ."), "confirm_password")


class UserOutSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.Enum(Role, by_value=True)
    discipline = fields.Enum(Discipline, by_value=True, allow_none=True)
    centre = fields.Function(lambda u: u.centre.code if u.centre else None)
    locale = fields.String(allow_none=True)
    timezone = fields.String(attribute="display_timezone")
    active = fields.Boolean()
