"""Shapes of boards in ``/api/v1``."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import Schema, fields

from telemed.auth.models import Discipline
from telemed.boards.models import MemberRole, SessionKind

STRING = {"type": "string"}


class Whole(fields.Nested):
    """Nests the object itself under a name (e.g. a board's cut-off rule)."""

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = None) -> Any:
        return obj


class BoardMemberOutSchema(Schema):
    user_id = fields.Integer()
    name = fields.String(attribute="user.name")
    role = fields.Enum(MemberRole, by_value=True)
    discipline = fields.Enum(Discipline, by_value=True, allow_none=True)


class CutoffRuleOutSchema(Schema):
    days_before = fields.Integer(attribute="cutoff_days_before")
    time = fields.Function(
        lambda b: b.cutoff_time.strftime("%H:%M"),
        metadata={**STRING, "description": "Board-local time (HH:MM) the agenda closes."},
    )


class BoardOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.Enum(SessionKind, by_value=True)
    active = fields.Boolean()
    specialties = fields.Function(
        lambda b: [s.value for s in b.specialty_values],
        metadata={
            "type": "array",
            "items": STRING,
            "description": "Case specialties routed to this board.",
        },
    )
    timezone = fields.String(metadata={"description": "IANA zone the rule is evaluated in."})
    rrule = fields.String(metadata={"description": "RFC 5545 recurrence rule."})
    dtstart = fields.Function(
        lambda b: b.dtstart.replace(tzinfo=ZoneInfo(b.timezone)).isoformat(),
        metadata={
            **STRING,
            "format": "date-time",
            "description": "First occurrence: the board's wall time, with its UTC offset then.",
        },
    )
    duration_minutes = fields.Integer()
    minutes_per_case = fields.Integer()
    case_capacity = fields.Integer(metadata={"description": "Cases that fit in one session."})
    cutoff = Whole(CutoffRuleOutSchema)
    quorum_disciplines = fields.List(fields.String())
    coordinator = fields.Function(
        lambda b: b.coordinator.name if b.coordinator else None,
        allow_none=True,
        metadata={**STRING, "description": "The coordinator's name."},
    )
    members = fields.List(fields.Nested(BoardMemberOutSchema))
