"""Marshmallow schemas of the minutes: input (addenda, topic and speaker) and the shape the
API returns (the frozen content is documented field by field for client generators)."""

from __future__ import annotations

import enum
from typing import Any

from marshmallow import Schema, fields, validate

from telemed.auth.models import Discipline
from telemed.boards.models import SessionKind
from telemed.core.schemas import InputSchema
from telemed.minutes.models import MinutesStatus
from telemed.referrals.models import ReferralStatus, TransplantType
from telemed.room.models import AttendanceRole, RecommendationCategory
from telemed.sessions.models import DeferralReason, ItemOutcome

# --- input ----------------------------------------------------------------------------


class MinutesAddendumInputSchema(InputSchema):
    text = fields.String(
        required=True,
        validate=validate.Length(min=3, max=5000),
        metadata={"description": "The correction, as it will be printed under the minutes."},
    )


class SessionTopicInputSchema(InputSchema):
    topic = fields.String(required=True, validate=validate.Length(min=3, max=300))
    speaker = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))


# --- output ---------------------------------------------------------------------------


def values(enum_cls: type[enum.Enum]) -> dict[str, list[Any]]:
    return {"enum": [member.value for member in enum_cls]}


class MinutesBoardSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    timezone = fields.String(metadata={"description": "The zone the minutes' times are in."})


class MinutesSessionInfoSchema(Schema):
    id = fields.Integer()
    number = fields.Integer()
    kind = fields.String(metadata=values(SessionKind))
    extraordinary = fields.Boolean()
    date = fields.String(metadata={"format": "date", "description": "In the board's zone."})
    start = fields.String(metadata={"format": "date-time"})
    end = fields.String(metadata={"format": "date-time"})
    start_recorded = fields.Boolean(
        metadata={"description": "False when ``start`` is the scheduled time (none recorded)."}
    )
    end_recorded = fields.Boolean()


class MinutesAttendeeSchema(Schema):
    name = fields.String()
    role = fields.String(metadata=values(AttendanceRole))
    unit = fields.String()
    discipline = fields.String(allow_none=True, metadata=values(Discipline))
    guest = fields.Boolean(metadata={"description": "Attended without an account."})


class MinutesAgreementSchema(Schema):
    id = fields.Integer()
    text = fields.String(
        allow_none=True, metadata={"description": "Null when ``withheld`` (another centre's case)."}
    )
    owner = fields.String()
    due_date = fields.String(metadata={"format": "date"})
    case_id = fields.Integer(allow_none=True)
    case_code = fields.String(allow_none=True)
    withheld = fields.Boolean(load_default=False, dump_default=False)


class MinutesFollowUpSchema(MinutesAgreementSchema):
    session_number = fields.Integer(metadata={"description": "The session that agreed it."})
    done = fields.Boolean(metadata={"description": "Marked done by the end of this session."})
    done_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    overdue = fields.Boolean()


class MinutesAnnexEntrySchema(Schema):
    """One line of the annex: an open agreement the session did not follow up (no text)."""

    id = fields.Integer()
    session_number = fields.Integer(metadata={"description": "The session that agreed it."})
    owner = fields.String()
    due_date = fields.String(metadata={"format": "date"})
    case_id = fields.Integer(allow_none=True)
    case_code = fields.String(allow_none=True)
    overdue = fields.Boolean()


class MinutesStillOpenSchema(Schema):
    count = fields.Integer(metadata={"description": "Open agreements not followed up here."})
    overdue = fields.Integer(metadata={"description": "Of those, how many were overdue."})
    annex = fields.List(fields.Nested(MinutesAnnexEntrySchema))


class MinutesReferralSchema(Schema):
    to_centre = fields.String()
    transplant_type = fields.String(allow_none=True, metadata=values(TransplantType))
    status = fields.String(metadata=values(ReferralStatus))


class MinutesOpenReferralSchema(MinutesReferralSchema):
    case_id = fields.Integer()
    case_code = fields.String()


class MinutesRecommendationSchema(Schema):
    category = fields.String(metadata=values(RecommendationCategory))
    text = fields.String()
    consensus = fields.Boolean()
    dissent = fields.String(allow_none=True)
    responsible = fields.String()


class MinutesCaseSchema(Schema):
    agenda_code = fields.String(metadata={"description": "``CE <session>.<case>``"})
    case_id = fields.Integer()
    case_code = fields.String()
    carried_over = fields.Boolean()
    presented_by = fields.String(allow_none=True)
    outcome = fields.String(metadata=values(ItemOutcome))
    deferral_reason = fields.String(
        allow_none=True,
        metadata={**values(DeferralReason), "description": "Why a deferred case was deferred."},
    )
    withheld = fields.Boolean(
        dump_default=False,
        metadata={"description": "True when the caller may not see this case's review."},
    )
    recommendations = fields.List(fields.Nested(MinutesRecommendationSchema))
    referrals = fields.List(fields.Nested(MinutesReferralSchema))


class MinutesContentSchema(Schema):
    version = fields.Integer()
    generated_at = fields.String(metadata={"format": "date-time"})
    board = fields.Nested(MinutesBoardSchema)
    session = fields.Nested(MinutesSessionInfoSchema)
    topic = fields.String(allow_none=True)
    speaker = fields.String(allow_none=True)
    attendance = fields.List(fields.Nested(MinutesAttendeeSchema))
    follow_up = fields.List(
        fields.Nested(MinutesFollowUpSchema),
        metadata={"description": "Earlier agreements reported done at this session or due by "
                                 "it (version 1: every open one)."},
    )  # fmt: skip
    still_open = fields.Nested(
        MinutesStillOpenSchema, allow_none=True,
        metadata={"description": "The board's other open agreements (absent in version 1)."},
    )  # fmt: skip
    open_referrals = fields.List(fields.Nested(MinutesOpenReferralSchema))
    cases = fields.List(fields.Nested(MinutesCaseSchema))
    general_matters = fields.String(allow_none=True)
    agreements = fields.List(fields.Nested(MinutesAgreementSchema))


class MinutesAddendumOutSchema(Schema):
    id = fields.Integer()
    text = fields.String()
    author = fields.String(attribute="author.name")
    at = fields.DateTime()


class MinutesOutSchema(Schema):
    session_id = fields.Integer(attribute="session.id")
    status = fields.Enum(MinutesStatus, by_value=True)
    finalised_at = fields.DateTime(allow_none=True)
    finalised_by = fields.String(allow_none=True)
    content = fields.Nested(MinutesContentSchema)
    addenda = fields.List(fields.Nested(MinutesAddendumOutSchema))
