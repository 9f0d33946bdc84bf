"""What the room accepts (attendance, times, outcomes, recommendations, adherence) and how
the API shows it. One set of schemas for the pages, the API and the services alike.

Output never carries patient data: a recommendation names its case by id and code, and the
agenda entry by its ``CE <session>.<case>`` code.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from telemed.auth.models import Discipline
from telemed.cases.models import CaseStatus
from telemed.core.schemas import InputSchema, id_field
from telemed.room.models import Adherence, AttendanceRole, RecommendationCategory
from telemed.sessions.api_schemas import local_iso
from telemed.sessions.models import DeferralReason, ItemOutcome, SessionStatus
from telemed.sessions.schemas import LocalDateTime

REQUIRED = _l("This field is required.")
DISSENT_NEEDED = _l("Record the dissent: it was not by consensus.")
TEXT_LIMIT = 5000

# --- input ----------------------------------------------------------------------------


def text_field(high: int, *, low: int = 0, required: bool = False) -> fields.String:
    length = validate.Length(min=low or None, max=high)
    if required:
        return fields.String(required=True, validate=length)
    return fields.String(allow_none=True, load_default=None, validate=length)


class RecommendationInputSchema(InputSchema):
    """A structured recommendation; a split decision must say who disagreed and why."""

    category = fields.Enum(RecommendationCategory, by_value=True, required=True)
    text = text_field(TEXT_LIMIT, low=3, required=True)
    consensus = fields.Boolean(
        load_default=True, metadata={"description": "Whether the board agreed unanimously."}
    )
    dissent = text_field(2000)
    responsible = text_field(200, low=2, required=True)

    @validates_schema
    def dissent_unless_consensus(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("consensus") is False and not data.get("dissent"):
            raise ValidationError({"dissent": [str(DISSENT_NEEDED)]})

    @post_load
    def no_dissent_in_consensus(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("consensus", True):
            data["dissent"] = None
        return data


OUTCOMES = ("discussed", "deferred")


class OutcomeInputSchema(InputSchema):
    """The outcome of an agenda entry: ``discussed`` with a recommendation (its fields at the
    top level) or ``deferred`` with a reason and why (``deferral_reason``, which the network
    counts); the case then goes back to scheduling first."""

    outcome = fields.String(
        required=True,
        validate=validate.OneOf(OUTCOMES, error=_l("Choose discussed or deferred.")),
        metadata={"enum": list(OUTCOMES)},
    )
    presenter_id = id_field(
        allow_none=True,
        load_default=None,
        metadata={"description": "Who presented the case (default: its referring doctor)."},
    )
    reason = text_field(2000)
    deferral_reason = fields.Enum(
        DeferralReason,
        by_value=True,
        allow_none=True,
        load_default=None,
        metadata={"description": "Why the case is deferred; required with ``deferred``."},
    )
    category = fields.Enum(
        RecommendationCategory, by_value=True, allow_none=True, load_default=None
    )
    text = text_field(TEXT_LIMIT, low=3)
    consensus = fields.Boolean(load_default=True)
    dissent = text_field(2000)
    responsible = text_field(200, low=2)

    @validates_schema
    def what_each_outcome_needs(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        if data.get("outcome") == "discussed":
            for name in ("category", "text", "responsible"):
                if not data.get(name):
                    errors[name] = [str(REQUIRED)]
            if data.get("consensus") is False and not data.get("dissent"):
                errors["dissent"] = [str(DISSENT_NEEDED)]
        elif data.get("outcome") == "deferred":
            if not data.get("reason"):
                errors["reason"] = [str(_l("Say why the case is deferred."))]
            if not data.get("deferral_reason"):
                errors["deferral_reason"] = [str(_l("Choose why the case is deferred."))]
        if errors:
            raise ValidationError(errors)

    @post_load
    def recommendation_part(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("consensus", True):
            data["dissent"] = None
        if data.get("outcome") != "deferred":
            data["deferral_reason"] = None
        return data


class AdherenceInputSchema(InputSchema):
    adherence = fields.Enum(Adherence, by_value=True, required=True)
    reason = text_field(2000)

    @validates_schema
    def reason_unless_done(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("adherence") in (Adherence.PARTLY, Adherence.NO) and not data.get("reason"):
            raise ValidationError({"reason": [str(_l("Say why it was not (fully) carried out."))]})


class MarkInputSchema(InputSchema):
    user_id = id_field(required=True)
    present = fields.Boolean(load_default=True)


class GuestInputSchema(InputSchema):
    name = text_field(120, low=2, required=True)
    unit = text_field(200, low=2, required=True)


class AttendanceInputSchema(InputSchema):
    """Mark a user present or absent (``user_id``, ``present``), or add a guest by ``name``
    and ``unit``."""

    user_id = id_field(allow_none=True, load_default=None)
    present = fields.Boolean(load_default=True)
    name = text_field(120, low=2)
    unit = text_field(200, low=2)

    @validates_schema
    def one_person(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("user_id") is not None:
            if data.get("name") or data.get("unit"):
                raise ValidationError(
                    {"name": [str(_l("Send either a user_id or a guest's name and unit."))]}
                )
            return
        errors = {name: [str(REQUIRED)] for name in ("name", "unit") if not data.get(name)}
        if errors:
            raise ValidationError(errors)


class TimeInputSchema(InputSchema):
    """Start or end now, or at a wall time on the board's clock (a correction)."""

    at_local = LocalDateTime(
        allow_none=True,
        load_default=None,
        metadata={"description": "On the board's clock; now when left out."},
    )


class TimesInputSchema(InputSchema):
    """Both times corrected at once, on the board's clock (the end may stay open)."""

    started_at_local = LocalDateTime(required=True)
    ended_at_local = LocalDateTime(allow_none=True, load_default=None)


class GeneralMattersInputSchema(InputSchema):
    general_matters = text_field(TEXT_LIMIT)


# --- output ---------------------------------------------------------------------------


class AdherenceOutSchema(Schema):
    value = fields.Enum(Adherence, by_value=True, attribute="adherence")
    reason = fields.String(attribute="adherence_reason", allow_none=True)
    by = fields.Function(lambda r: r.adherence_by.name if r.adherence_by else None)
    at = fields.AwareDateTime(attribute="adherence_at")


class RecommendationOutSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    case_code = fields.String(attribute="case.code")
    session_id = fields.Integer(allow_none=True)
    session_number = fields.Function(
        lambda r: r.session.number if r.session else None, metadata={"type": "integer"}
    )
    agenda_item_id = fields.Integer(allow_none=True)
    agenda_code = fields.Function(
        lambda r: r.agenda_item.agenda_code if r.agenda_item else None,
        metadata={"type": "string", "description": "CE <session number>.<case number>"},
    )
    category = fields.Enum(RecommendationCategory, by_value=True)
    text = fields.String()
    consensus = fields.Boolean()
    dissent = fields.String(allow_none=True)
    responsible = fields.String()
    recorded_by = fields.String(attribute="recorded_by.name")
    recorded_at = fields.AwareDateTime()
    adherence = fields.Function(
        lambda r: AdherenceOutSchema().dump(r) if r.adherence else None,
        metadata={"type": "object", "nullable": True,
                  "description": "The referring centre's report: value, reason, by, at."},
    )  # fmt: skip


class OutcomeOutSchema(Schema):
    """An agenda entry after its outcome, and the recommendation it produced (if any)."""

    item_id = fields.Integer(attribute="item.id")
    agenda_code = fields.String(attribute="item.agenda_code")
    outcome = fields.Enum(ItemOutcome, by_value=True, attribute="item.outcome")
    deferral_reason = fields.Enum(
        DeferralReason, by_value=True, attribute="item.deferral_reason", allow_none=True
    )
    decided_at = fields.AwareDateTime(attribute="item.decided_at")
    presented_by = fields.Function(
        lambda o: o.item.presented_by.name if o.item.presented_by else None,
        metadata={"type": "string", "nullable": True},
    )
    case_status = fields.Enum(CaseStatus, by_value=True, attribute="item.case.status")
    recommendation = fields.Nested(RecommendationOutSchema, allow_none=True)


class QuorumOutSchema(Schema):
    required = fields.List(fields.String())
    covered = fields.List(fields.String())
    missing = fields.List(fields.String())
    met = fields.Boolean()


class PersonOutSchema(Schema):
    """Someone expected or marked at the session; ``present`` is null until marked."""

    attendance_id = fields.Integer(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    name = fields.String()
    unit = fields.String()
    role = fields.Enum(AttendanceRole, by_value=True)
    discipline = fields.Enum(Discipline, by_value=True, allow_none=True)
    present = fields.Boolean(allow_none=True)


class RoomOutSchema(Schema):
    """The room's record: times, live quorum, who is expected and who was present."""

    session_id = fields.Integer(attribute="session.id")
    number = fields.Integer(attribute="session.number")
    status = fields.Enum(SessionStatus, by_value=True, attribute="session.status")
    started_at = fields.AwareDateTime(attribute="session.started_at", allow_none=True)
    ended_at = fields.AwareDateTime(attribute="session.ended_at", allow_none=True)
    started_at_local = fields.Function(
        lambda r: (
            local_iso(r.session.started_at, r.session.board.timezone)
            if r.session.started_at
            else None
        ),
        metadata={"type": "string", "format": "date-time", "nullable": True},
    )
    ended_at_local = fields.Function(
        lambda r: (
            local_iso(r.session.ended_at, r.session.board.timezone) if r.session.ended_at else None
        ),
        metadata={"type": "string", "format": "date-time", "nullable": True},
    )
    quorum = fields.Nested(QuorumOutSchema)
    people = fields.List(fields.Nested(PersonOutSchema))
    guests = fields.List(fields.Nested(PersonOutSchema))
    unlisted = fields.Integer(
        metadata={"description": "Expected audience not listed (large training sessions)."}
    )
