"""The minutes as a reader sees them: labels in the reader's language, times on the
board's clock (the minutes' official time), named as people say it ("hora de la Ciudad de
México") and dated with the year, as a record is. The HTML pages and the PDF both render
this."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, format_date

from telemed.auth.labels import DISCIPLINE_LABELS
from telemed.auth.models import Discipline
from telemed.boards.labels import SESSION_KIND_LABELS
from telemed.boards.models import SessionKind
from telemed.core.formatting import hours, say_day
from telemed.core.zones import zone_time
from telemed.referrals.labels import REFERRAL_STATUS_LABELS, TRANSPLANT_TYPE_LABELS
from telemed.referrals.models import ReferralStatus, TransplantType
from telemed.room.labels import ATTENDANCE_ROLE_LABELS, RECOMMENDATION_CATEGORY_LABELS
from telemed.room.models import AttendanceRole, RecommendationCategory
from telemed.sessions.labels import DEFERRAL_REASON_LABELS, OUTCOME_LABELS
from telemed.sessions.models import DeferralReason, ItemOutcome


def unit_beside_discipline(unit: str, discipline: str | None) -> str:
    """The unit to show beside the discipline: none when the record wrote the discipline in
    its place (a member without a centre), which read twice ("Oncología pediátrica - Oncología
    pediátrica"). Compared in every language the minutes may have been recorded in."""
    if not unit or discipline not in {member.value for member in Discipline}:
        return unit
    names = set()
    for locale in current_app.config["LANGUAGES"]:
        with force_locale(locale):
            names.add(str(DISCIPLINE_LABELS[Discipline(str(discipline))]).casefold())
    return "" if unit.strip().casefold() in names else unit


def outcome_label(entry: dict[str, Any]) -> str:
    """The outcome, and for a deferral why (minutes made before it was kept have no why)."""
    text = label(OUTCOME_LABELS, ItemOutcome, entry["outcome"])
    why = label(DEFERRAL_REASON_LABELS, DeferralReason, entry.get("deferral_reason"))
    return f"{text} · {why}" if why else text


def label(labels: dict[Any, Any], enum_cls: type, value: str | None) -> str:
    """The label of a stored value; an unknown value (from an older version) as is."""
    if value is None:
        return ""
    try:
        return str(labels[enum_cls(value)])
    except (ValueError, KeyError):
        return value


def long_date(value: str) -> str:
    return say_day(date.fromisoformat(value), with_year=True)


def short_date(value: str | None) -> str:
    return format_date(date.fromisoformat(value), "medium") if value else ""


def clock(value: str, zone: ZoneInfo) -> str:
    return hours(datetime.fromisoformat(value).astimezone(zone))


def span(start: str, end: str, zone: ZoneInfo) -> str:
    return hours(datetime.fromisoformat(start).astimezone(zone),
                 datetime.fromisoformat(end).astimezone(zone))  # fmt: skip


def display(content: dict[str, Any]) -> dict[str, Any]:
    session = content["session"]
    zone = ZoneInfo(content["board"]["timezone"])
    return {
        "board": content["board"]["name"],
        "number": session["number"],
        "kind": session["kind"],
        "kind_label": label(SESSION_KIND_LABELS, SessionKind, session["kind"]),
        "extraordinary": session["extraordinary"],
        "date": long_date(session["date"]),
        "zone": zone_time(content["board"]["timezone"]),
        "start": clock(session["start"], zone),
        "end": clock(session["end"], zone),
        "hours": span(session["start"], session["end"], zone),
        "start_scheduled": not session["start_recorded"],
        "end_scheduled": not session["end_recorded"],
        "topic": content.get("topic"),
        "speaker": content.get("speaker"),
        "attendance": [
            {
                "name": entry["name"],
                "role": label(ATTENDANCE_ROLE_LABELS, AttendanceRole, entry["role"]),
                "unit": unit_beside_discipline(entry["unit"], entry["discipline"]),
                "discipline": label(DISCIPLINE_LABELS, Discipline, entry["discipline"]),
                "guest": entry["guest"],
            }
            for entry in content["attendance"]
        ],
        "follow_up": [
            {
                **agreement(entry),
                "session_number": entry["session_number"],
                "state": "done" if entry["done"] else "overdue" if entry["overdue"] else "open",
                "done_at": short_date(
                    datetime.fromisoformat(entry["done_at"]).astimezone(zone).date().isoformat()
                )
                if entry["done_at"]
                else "",
            }
            for entry in content["follow_up"]
        ],
        "still_open": still_open(content.get("still_open")),
        "open_referrals": [
            {"case_code": entry["case_code"], **referral(entry)}
            for entry in content["open_referrals"]
        ],
        "cases": [
            {
                "agenda_code": entry["agenda_code"],
                "case_code": entry["case_code"],
                "carried_over": entry["carried_over"],
                "presented_by": entry["presented_by"] or "",
                "outcome": entry["outcome"],
                "outcome_label": outcome_label(entry),
                "withheld": entry.get("withheld", False),
                "recommendations": [
                    {
                        "category": label(
                            RECOMMENDATION_CATEGORY_LABELS, RecommendationCategory, rec["category"]
                        ),
                        "text": rec["text"],
                        "consensus": rec["consensus"],
                        "dissent": rec["dissent"] or "",
                        "responsible": rec["responsible"],
                    }
                    for rec in entry["recommendations"]
                ],
                "referrals": [referral(r) for r in entry["referrals"]],
            }
            for entry in content["cases"]
        ],
        "general_matters": content.get("general_matters") or "",
        "agreements": [agreement(entry) for entry in content["agreements"]],
    }


def agreement(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "text": entry["text"] or "",
        "owner": entry["owner"],
        "due_date": short_date(entry["due_date"]),
        "case_code": entry["case_code"] or "",
        "withheld": entry.get("withheld", False),
    }


def still_open(section: dict[str, Any] | None) -> dict[str, Any] | None:
    """The count of open agreements the session did not follow up, and the annex's lines
    (None for minutes frozen before version 2, whose follow-up listed them all)."""
    if section is None:
        return None
    return {
        "count": section["count"],
        "overdue": section["overdue"],
        "annex": [
            {
                "session_number": entry["session_number"],
                "owner": entry["owner"],
                "due_date": short_date(entry["due_date"]),
                "case_code": entry["case_code"] or "",
                "overdue": entry["overdue"],
            }
            for entry in section["annex"]
        ],
    }


def referral(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "to_centre": entry["to_centre"],
        "transplant_type": label(TRANSPLANT_TYPE_LABELS, TransplantType, entry["transplant_type"]),
        "status": label(REFERRAL_STATUS_LABELS, ReferralStatus, entry["status"]),
    }
