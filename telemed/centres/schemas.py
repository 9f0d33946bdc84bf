"""Centre input and output shapes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from telemed.centres.models import CAPABILITY_COUNTS, CAPABILITY_FLAGS, CentreKind
from telemed.core.schemas import InputSchema, validate_timezone

MEXICAN_STATES = (
    "Aguascalientes", "Baja California", "Baja California Sur", "Campeche", "Chiapas",
    "Chihuahua", "Ciudad de México", "Coahuila", "Colima", "Durango", "Estado de México",
    "Guanajuato", "Guerrero", "Hidalgo", "Jalisco", "Michoacán", "Morelos", "Nayarit",
    "Nuevo León", "Oaxaca", "Puebla", "Querétaro", "Quintana Roo", "San Luis Potosí",
    "Sinaloa", "Sonora", "Tabasco", "Tamaulipas", "Tlaxcala", "Veracruz", "Yucatán",
    "Zacatecas",
)  # fmt: skip


def count_field() -> fields.Integer:
    return fields.Integer(
        load_default=0, validate=validate.Range(0, 100000, error=_l("Enter 0 or more."))
    )


class CentreInputSchema(InputSchema):
    code = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Z0-9][A-Z0-9-]{1,19}$",
            error=_l("Use 2 to 20 capital letters, digits or '-'."),
        ),
    )
    name = fields.String(required=True, validate=validate.Length(3, 200))
    kind = fields.Enum(CentreKind, by_value=True, required=True)
    state = fields.String(
        required=True,
        validate=validate.OneOf(MEXICAN_STATES, error=_l("Choose a state of Mexico.")),
    )
    city = fields.String(load_default="", validate=validate.Length(max=80))
    timezone = fields.String(required=True, validate=validate_timezone)
    active = fields.Boolean(load_default=True)
    # Resolving capacity (names as in CAPABILITY_FLAGS and CAPABILITY_COUNTS).
    has_ct = fields.Boolean(load_default=False)
    has_mri = fields.Boolean(load_default=False)
    has_linear_accelerator = fields.Boolean(load_default=False)
    has_blood_bank = fields.Boolean(load_default=False)
    has_transplant_unit = fields.Boolean(load_default=False)
    has_neurosurgery = fields.Boolean(load_default=False)
    has_orthopaedics = fields.Boolean(load_default=False)
    has_paediatric_icu = fields.Boolean(load_default=False)
    paediatric_oncologists = count_field()
    paediatricians = count_field()
    beds = count_field()
    paediatric_beds = count_field()


class CentreOutSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.Enum(CentreKind, by_value=True)
    state = fields.String()
    city = fields.String()
    timezone = fields.String()
    active = fields.Boolean()
    capacity = fields.Function(
        lambda c: {name: getattr(c, name) for name in (*CAPABILITY_FLAGS, *CAPABILITY_COUNTS)}
    )
