"""Input and output shapes of preparation: notes, questions for the referring doctor, answers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from telemed.core.schemas import InputSchema
from telemed.preparation.models import NoteKind

TEXT_LENGTH = validate.Length(2, 4000, error=_l("Write 2 to 4000 characters."))


class NoteInputSchema(InputSchema):
    """A preparation note (for the board only) or a question for the referring doctor."""

    kind = fields.Enum(
        NoteKind,
        by_value=True,
        load_default=NoteKind.NOTE,
        metadata={"description": "note: board only; question: the referring doctor answers."},
    )
    text = fields.String(required=True, validate=TEXT_LENGTH)


class QuestionInputSchema(InputSchema):
    text = fields.String(required=True, validate=TEXT_LENGTH)


class AnswerInputSchema(InputSchema):
    answer = fields.String(required=True, validate=TEXT_LENGTH)


class QuestionOutSchema(Schema):
    """A question put to the referring doctor, with its answer once given."""

    id = fields.Integer()
    case_id = fields.Integer()
    session_id = fields.Integer(allow_none=True)
    text = fields.String()
    asked_by = fields.Function(lambda n: n.author.name)
    asked_at = fields.AwareDateTime(attribute="created_at")
    answer = fields.String(allow_none=True)
    answered_by = fields.Function(
        lambda n: n.answered_by.name if n.answered_by else None, allow_none=True
    )
    answered_at = fields.AwareDateTime(allow_none=True)
