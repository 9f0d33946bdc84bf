"""The stats API's query string and answer, documented from one place."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from telemed.core.schemas import InputSchema
from telemed.reports.period import PERIOD_KINDS
from telemed.reports.service import VIEW_NAMES


class StatsQuerySchema(InputSchema):
    class Meta:
        unknown = "exclude"

    view = fields.List(
        fields.String(
            validate=validate.OneOf(VIEW_NAMES, error=_l("Choose a view from the list."))
        ),
        metadata={"description": "Views to compute (repeatable); all of them when absent."},
    )
    period = fields.String(
        load_default="month",
        validate=validate.OneOf(PERIOD_KINDS, error=_l("Choose a period from the list.")),
        metadata={"description": "Calendar period on each board's clock."},
    )
    from_ = fields.Date(data_key="from", metadata={"description": "First day (custom)."})
    to = fields.Date(metadata={"description": "Last day, included (custom)."})
    board = fields.Integer(metadata={"description": "Board id (coordinators: one of theirs)."})
    centre = fields.Integer(metadata={"description": "Centre id (the case's or referring centre)."})
    state = fields.String(metadata={"description": "State of the centre."})
    full = fields.Boolean(
        load_default=False, metadata={"description": "Long tables whole, not their first rows."}
    )


class FigureOutSchema(Schema):
    value = fields.Raw(metadata={"description": "Number, percentage or days; null if undefined."})
    label = fields.String()
    definition = fields.String(metadata={"description": "Exactly what the figure counts."})


class TableOutSchema(Schema):
    title = fields.String()
    definition = fields.String()
    columns = fields.List(fields.String())
    rows = fields.List(fields.Dict())
    complete = fields.Boolean(metadata={"description": "False when only the first rows came."})


class ViewOutSchema(Schema):
    headline = fields.List(
        fields.String(),
        metadata={
            "description": "Keys of the figures the page shows first, labelled as the "
            "network reports them (overview: telemedicine sessions, high-complexity cases "
            "examined, trainings, keynote lectures, patients referred to each external "
            "partner such as HITO); their values are in ``figures``. Empty for other views."
        },
    )
    figures = fields.Dict(keys=fields.String(), values=fields.Nested(FigureOutSchema))
    tables = fields.Dict(keys=fields.String(), values=fields.Nested(TableOutSchema))


class PeriodOutSchema(Schema):
    kind = fields.String()
    first = fields.Date(allow_none=True)
    last = fields.Date(allow_none=True)


class StatsOutSchema(Schema):
    period = fields.Nested(PeriodOutSchema)
    filters = fields.Dict(metadata={"description": "The filters applied (board, centre, state)."})
    views = fields.Dict(keys=fields.String(), values=fields.Nested(ViewOutSchema))
