"""Board input shapes: the board form, membership, and session times typed by coordinators."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, post_load, validate, validates, validates_schema

from telemed.auth.models import Discipline
from telemed.boards.models import DayOffPolicy, MemberRole, SessionKind
from telemed.core.schemas import MEXICAN_TIMEZONES, InputSchema, id_field
from telemed.core.vocabulary import MaterialKind, RequestKind, Specialty

# Rules that repeat by the hour, minute or second would flood the calendar with sessions.
ALLOWED_FREQUENCIES = (YEARLY, MONTHLY, WEEKLY, DAILY)


TIME_MESSAGE = _l("Enter a time (HH:MM).")


def time_field(**kwargs: Any) -> fields.Time:
    field = fields.Time(**kwargs)
    field.error_messages = {**field.error_messages, "invalid": TIME_MESSAGE}
    return field


def minutes(low: int, high: int, **kwargs: Any) -> fields.Integer:
    message = _l("Enter a number from %(low)d to %(high)d.", low=low, high=high)
    return fields.Integer(validate=validate.Range(low, high, error=message), **kwargs)


def choice_list(values: list[str]) -> fields.List[str]:
    """Several checkboxes with the same name; unknown values are refused as a whole."""
    return fields.List(
        fields.String(),
        load_default=list,
        validate=validate.ContainsOnly(values, error=_l("Choose among the options.")),
    )


def parse_rrule(text: str, dtstart: datetime) -> rrule:
    """The recurrence as dateutil reads it, or ``ValueError`` with a reason for people."""
    if "\n" in text or "DTSTART" in text.upper():
        raise ValueError("one RRULE line without DTSTART")
    rule = rrulestr(text, dtstart=dtstart)
    if not isinstance(rule, rrule):
        raise ValueError("a single rule")
    # dateutil keeps the frequency private, so its stubs do not declare it.
    if rule._freq not in ALLOWED_FREQUENCIES:  # type: ignore[attr-defined]
        raise ValueError("frequency")
    return rule


class MaterialByRequest(fields.Field[dict[str, list[str]]]):
    """``{request_kind: [material, ...]}``: what each kind of request needs before the cut-off.

    Only known kinds and materials are accepted (anything else refuses the whole field, with one
    message); kinds needing nothing are dropped and materials are kept in a stable order, so the
    saved value compares equal however the form or the API sent it.
    """

    default_error_messages = {"invalid": _l("Choose among the options.")}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, list[str]]:
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        kinds = {kind.value for kind in RequestKind}
        materials = {material.value for material in MaterialKind}
        for kind, chosen in value.items():
            if kind not in kinds or not isinstance(chosen, list):
                raise self.make_error("invalid")
            if any(not isinstance(m, str) or m not in materials for m in chosen):
                raise self.make_error("invalid")
        shaped = {
            kind.value: [m.value for m in MaterialKind if m.value in value.get(kind.value, [])]
            for kind in RequestKind
        }
        return {kind: chosen for kind, chosen in shaped.items() if chosen}


class BoardInputSchema(InputSchema):
    """The board form (and the API): timing changes apply to sessions generated later."""

    name = fields.String(required=True, validate=validate.Length(3, 120))
    kind = fields.Enum(SessionKind, by_value=True, required=True)
    specialties = choice_list([s.value for s in Specialty])
    coordinator_id = id_field(allow_none=True, load_default=None)
    timezone = fields.String(
        required=True,
        validate=validate.OneOf(MEXICAN_TIMEZONES, error=_l("Choose a time zone of Mexico.")),
    )
    rrule = fields.String(required=True, validate=validate.Length(max=300))
    start_date = fields.Date(required=True)
    start_time = time_field(required=True)
    duration_minutes = minutes(10, 600, required=True)
    minutes_per_case = minutes(1, 600, required=True)
    cutoff_days_before = minutes(0, 30, required=True)
    cutoff_time = time_field(required=True)
    room_url_pattern = fields.String(required=True, validate=validate.Length(max=300))
    quorum_disciplines = choice_list([d.value for d in Discipline])
    active = fields.Boolean(load_default=True)
    public_feed = fields.Boolean(load_default=False)
    day_off_policy = fields.Enum(
        DayOffPolicy,
        by_value=True,
        load_default=DayOffPolicy.SKIP,
        metadata={"description": "A meeting on a rest day or day off: skip, previous or next."},
    )
    required_material = MaterialByRequest(
        load_default=dict,
        metadata={
            "description": "Material each kind of request needs: {request_kind: [material]}."
        },
    )

    @validates("room_url_pattern")
    def check_room(self, value: str, **_: Any) -> None:
        if not value.startswith(("https://", "http://")):
            raise ValidationError(_l("Start the link with https://."))
        if "{session}" not in value:
            raise ValidationError(_l('The pattern must contain "{session}".'))
        try:
            value.format(board=1, session=1)
        except (KeyError, IndexError, ValueError):
            raise ValidationError(
                _l('Only "{session}" and "{board}" may appear between braces.')
            ) from None

    @validates_schema
    def check_rule(self, data: dict[str, Any], **_: Any) -> None:
        if "rrule" not in data:
            return
        start = datetime.combine(
            data.get("start_date") or datetime(2026, 1, 1).date(),
            data.get("start_time") or datetime.min.time(),
        )
        try:
            parse_rrule(data["rrule"], start)
        except (ValueError, TypeError):
            raise ValidationError(
                _l("Not a valid recurrence rule; for example FREQ=WEEKLY;BYDAY=TH."), "rrule"
            ) from None

    @validates_schema
    def check_capacity(self, data: dict[str, Any], **_: Any) -> None:
        per_case, duration = data.get("minutes_per_case"), data.get("duration_minutes")
        if per_case and duration and per_case > duration:
            raise ValidationError(
                _l("A case cannot take longer than the session."), "minutes_per_case"
            )

    @validates_schema
    def check_specialties(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("specialties") and data.get("kind") not in (None, SessionKind.CASE_REVIEW):
            raise ValidationError(_l("Only case-review boards receive cases."), "specialties")

    @post_load
    def shape(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["rrule"] = data["rrule"].strip()
        data["dtstart"] = datetime.combine(data.pop("start_date"), data.pop("start_time"))
        data["specialties"] = [Specialty(s) for s in dict.fromkeys(data["specialties"])]
        data["quorum_disciplines"] = list(dict.fromkeys(data["quorum_disciplines"]))
        return data


class MemberInputSchema(InputSchema):
    user_id = id_field(required=True)
    role = fields.Enum(MemberRole, by_value=True, load_default=MemberRole.MEMBER)
    discipline = fields.Enum(Discipline, by_value=True, allow_none=True, load_default=None)


class MemberRoleSchema(InputSchema):
    role = fields.Enum(MemberRole, by_value=True, required=True)


# Longest stretch marked off at once (a winter break, a congress): a typo in a year would
# otherwise move or cancel months of sessions.
LONGEST_DAYS_OFF = 62


class DaysOffInputSchema(InputSchema):
    """Days a board does not meet: one day, or ``first`` to ``last``, with a reason."""

    first = fields.Date(required=True)
    last = fields.Date(load_default=None, allow_none=True)
    reason = fields.String(
        load_default="",
        validate=validate.Length(max=200, error=_l("Write the reason in up to 200 characters.")),
    )

    @validates_schema
    def check_span(self, data: dict[str, Any], **_: Any) -> None:
        first, last = data.get("first"), data.get("last")
        if first is None or last is None:
            return
        if last < first:
            raise ValidationError(_l("The last day cannot be before the first."), "last")
        if last - first >= timedelta(days=LONGEST_DAYS_OFF):
            raise ValidationError(
                _l("Mark at most %(num)d days at once.", num=LONGEST_DAYS_OFF), "last"
            )

    @post_load
    def shape(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        last = data.pop("last") or data["first"]
        first = data.pop("first")
        data["days"] = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        data["reason"] = data["reason"].strip()
        return data
