"""Agreement input and output shapes, for the room's forms and the JSON API alike."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from telemed.core.pagination import PageSchema
from telemed.core.schemas import InputSchema, id_field, page_field


class AgreementInputSchema(InputSchema):
    """An acuerdo: what, who (a person, a unit written by hand, or both), by when."""

    text = fields.String(
        required=True,
        validate=validate.Length(3, 2000, error=_l("Write the agreement (3 to 2000 characters).")),
    )
    owner_id = id_field(
        allow_none=True, load_default=None,
        metadata={"description": "A member or attendee of the session who carries it out."},
    )  # fmt: skip
    owner_unit = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=200),
        metadata={"description": "A unit or person written by hand."},
    )  # fmt: skip
    due_date = fields.Date(
        required=True, metadata={"description": "A day on the board's clock, not in the past."}
    )
    case_id = id_field(
        allow_none=True, load_default=None,
        metadata={"description": "Optional: a case on this session's agenda."},
    )  # fmt: skip


class AgreementCreateInputSchema(AgreementInputSchema):
    session_id = id_field(required=True, metadata={"description": "Where it was agreed."})


class AgreementDoneInputSchema(InputSchema):
    note = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=2000))
    session_id = id_field(
        allow_none=True, load_default=None,
        metadata={"description": "The session whose follow-up reports it done; by default the "
                                 "board's current or next session."},
    )  # fmt: skip


class AgreementListQuerySchema(InputSchema):
    class Meta:
        unknown = "exclude"

    board_id = id_field(allow_none=True)
    session_id = id_field(allow_none=True)
    open = fields.Boolean(allow_none=True, metadata={"description": "Only those not done."})
    overdue = fields.Boolean(
        allow_none=True,
        metadata={"description": "Only those past their due date (board's clock), not done."},
    )
    page = page_field()
    per_page = fields.Integer(allow_none=True, validate=validate.Range(1, 100))


class AgreementOutSchema(Schema):
    """An agreement. ``text`` is null for a referring doctor when it concerns another
    centre's case."""

    id = fields.Integer()
    board_id = fields.Integer()
    board = fields.String(attribute="board.name")
    session_id = fields.Integer()
    session_number = fields.Integer(attribute="session.number")
    case_id = fields.Integer(allow_none=True)
    case_code = fields.Function(lambda a: a.case.code if a.case else None,
                                metadata={"type": "string", "nullable": True})  # fmt: skip
    text = fields.String(allow_none=True)
    owner_id = fields.Integer(allow_none=True)
    owner_name = fields.Function(lambda a: a.owner.name if a.owner else None,
                                 metadata={"type": "string", "nullable": True})  # fmt: skip
    owner_unit = fields.String(allow_none=True)
    due_date = fields.Date()
    overdue = fields.Boolean()
    created_at = fields.AwareDateTime()
    created_by = fields.Function(lambda a: a.created_by.name, metadata={"type": "string"})
    done = fields.Function(lambda a: a.done_at is not None, metadata={"type": "boolean"})
    done_at = fields.AwareDateTime(allow_none=True)
    done_by = fields.Function(lambda a: a.done_by.name if a.done_by else None,
                              metadata={"type": "string", "nullable": True})  # fmt: skip
    done_note = fields.String(allow_none=True)
    done_session_id = fields.Integer(allow_none=True)


class AgreementPageSchema(PageSchema):
    items = fields.List(fields.Nested(AgreementOutSchema))
