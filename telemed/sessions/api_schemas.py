"""Shapes of boards, sessions and agendas in ``/api/v1``, and the inputs of session actions.

Output schemas never carry patient data: an agenda entry names its case by id and code
only, and only to callers who may see that case (others get the agenda code alone).
Times are aware UTC (``starts_at``) plus the wall time on the board's own clock
(``starts_at_local``, ISO 8601 with the zone's offset).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from marshmallow import Schema, fields, validate

from telemed.boards.models import SessionKind
from telemed.cases.models import Urgency
from telemed.core.keyset import KeysetPageSchema, cursor_field
from telemed.core.schemas import InputSchema, id_field, page_field
from telemed.sessions.models import ItemOutcome, SessionStatus


def local_iso(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).isoformat()


class SessionOutSchema(Schema):
    """A session without its agenda (lists)."""

    id = fields.Integer()
    board_id = fields.Integer()
    board = fields.String(attribute="board.name")
    number = fields.Integer(metadata={"description": "Per board, as the minutes count them."})
    kind = fields.Enum(SessionKind, by_value=True)
    status = fields.Enum(SessionStatus, by_value=True)
    extraordinary = fields.Boolean()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    cutoff_at = fields.AwareDateTime(metadata={"description": "When the agenda closes."})
    timezone = fields.String(attribute="board.timezone")
    starts_at_local = fields.Function(
        lambda s: local_iso(s.starts_at, s.board.timezone),
        metadata={
            "type": "string",
            "format": "date-time",
            "description": "Start on the board's clock, with its UTC offset.",
        },
    )
    capacity = fields.Integer()
    booked = fields.Integer()
    room_url = fields.String()
    topic = fields.String(allow_none=True)
    speaker = fields.String(allow_none=True)
    audience = fields.String(allow_none=True)
    sequence = fields.Integer(metadata={"description": "Grows on every change of the session."})


class AgendaEntryOutSchema(Schema):
    """An agenda entry; ``case_id``, ``case_code`` and ``urgency`` are null for a case the
    caller may not see."""

    id = fields.Integer()
    position = fields.Integer()
    agenda_code = fields.String(metadata={"description": "CE <session number>.<case number>"})
    case_id = fields.Integer(allow_none=True)
    case_code = fields.String(allow_none=True)
    urgency = fields.Enum(Urgency, by_value=True, allow_none=True)
    pinned = fields.Boolean(metadata={"description": "Placed or ordered by a coordinator."})
    carried_over = fields.Boolean()
    outcome = fields.Enum(ItemOutcome, by_value=True)


class OrderSectionOutSchema(Schema):
    key = fields.String()
    title = fields.String()
    entries = fields.List(fields.String())


class SessionDetailOutSchema(SessionOutSchema):
    agenda = fields.List(fields.Nested(AgendaEntryOutSchema))
    order_of_business = fields.List(
        fields.Nested(OrderSectionOutSchema),
        metadata={"description": "Final once the agenda closes; a preview before."},
    )
    order_final = fields.Boolean()


class SessionPageSchema(KeysetPageSchema):
    items = fields.List(fields.Nested(SessionOutSchema), required=True)


class AssignmentReportOutSchema(Schema):
    placed = fields.Integer()
    flagged = fields.Integer()
    unplaced = fields.Integer()
    boards = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Cases placed in this run, per board name."},
    )


class AgendaPlaceInputSchema(InputSchema):
    case_id = id_field(required=True, metadata={"description": "An accepted case."})


class AgendaOrderInputSchema(InputSchema):
    item_ids = fields.List(
        id_field(),
        required=True,
        metadata={"description": "Every pending entry of the agenda, once, in the new order."},
    )


class SessionListQuerySchema(InputSchema):
    """Filters of ``GET /api/v1/sessions``; dates are days in the caller's time zone."""

    class Meta:
        unknown = "exclude"

    board_id = id_field(allow_none=True)
    date_from = fields.Date(allow_none=True, data_key="from")
    date_to = fields.Date(allow_none=True, data_key="to")
    status = fields.Enum(SessionStatus, by_value=True, allow_none=True)
    page = page_field()
    per_page = fields.Integer(allow_none=True, validate=validate.Range(1, 100))
    after = cursor_field()
