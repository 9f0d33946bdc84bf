"""What the minutes of a session say, built from the session record.

The content is plain JSON (enum values, ISO dates, case codes and ids, never a patient
identifier), so frozen minutes read the same in every language: labels are added where
they are shown (``minutes_display``). ``for_viewer`` then hides, per reader, the review of
cases they may not see.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from telemed.agreements import service as agreements
from telemed.agreements.models import Agreement
from telemed.auth.models import User
from telemed.boards.models import SessionKind
from telemed.cases.access import visible_cases
from telemed.cases.models import Case, format_case_code
from telemed.core.clock import now_utc
from telemed.extensions import db
from telemed.referrals import service as referral_service
from telemed.referrals.models import Referral
from telemed.room.models import Attendance, AttendanceRole, Recommendation
from telemed.sessions.models import BoardSession

# 2: ``follow_up`` lists what the session followed up (reported at it, due by it); the rest
# of the board's open agreements are counted in ``still_open`` with a one-line annex.
CONTENT_VERSION = 2
# The order the minutes list attendees in.
ROLE_ORDER = (
    AttendanceRole.CHAIR,
    AttendanceRole.COORDINATOR,
    AttendanceRole.MEMBER,
    AttendanceRole.REFERRING,
    AttendanceRole.GUEST,
)
TOPIC_KINDS = (SessionKind.TRAINING, SessionKind.KEYNOTE)


# --- building the content -------------------------------------------------------------


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def build_minutes(session: BoardSession) -> dict[str, Any]:
    """The minutes as the record stands now (JSON-able; codes only, no patient data)."""
    board = session.board
    zone = ZoneInfo(board.timezone)
    start = session.started_at or session.starts_at
    end = session.ended_at or session.ends_at
    return {
        "version": CONTENT_VERSION,
        "generated_at": iso(now_utc()),
        "board": {"id": board.id, "name": board.name, "timezone": board.timezone},
        "session": {
            "id": session.id,
            "number": session.number,
            "kind": session.kind.value,
            "extraordinary": session.extraordinary,
            "date": start.astimezone(zone).date().isoformat(),
            "start": iso(start),
            "end": iso(end),
            "start_recorded": session.started_at is not None,
            "end_recorded": session.ended_at is not None,
        },
        "topic": session.topic if session.kind in TOPIC_KINDS else None,
        "speaker": session.speaker if session.kind in TOPIC_KINDS else None,
        "attendance": attendance_of(session),
        **follow_up_of(session),
        "open_referrals": open_referrals_of(session),
        "cases": cases_of(session),
        "general_matters": session.general_matters or None,
        "agreements": [
            agreement_entry(agreement, session)
            for agreement in agreements.session_agreements(session)
        ],
    }


def present_attendances(session: BoardSession) -> list[Attendance]:
    rows = db.session.scalars(
        select(Attendance).where(Attendance.session_id == session.id, Attendance.present.is_(True))
    ).all()
    return sorted(rows, key=lambda a: (ROLE_ORDER.index(a.role), a.name.casefold(), a.id))


def attendance_of(session: BoardSession) -> list[dict[str, Any]]:
    entries = []
    for row in present_attendances(session):
        user = row.user
        unit = row.unit or (user.centre.name if user is not None and user.centre else "")
        discipline = row.discipline or (
            user.discipline.value if user is not None and user.discipline else None
        )
        entries.append(
            {
                "name": row.name,
                "role": row.role.value,
                "unit": unit,
                "discipline": discipline,
                "guest": row.user_id is None,
            }
        )
    return entries


def follow_up_of(session: BoardSession) -> dict[str, Any]:
    """What the room's follow-up showed. ``follow_up``: the earlier agreements this session
    followed up (reported done at it, or due by it), each in full; done means done by the end
    of this one. ``still_open``: the board's other open agreements from earlier sessions
    (older overdue, not yet due), counted, with an annex of one short line each (no text:
    it is in the minutes of the session that agreed it) instead of pages of repetition."""
    groups = agreements.follow_up(session)
    day = session_day(session)
    annex = [
        {
            "id": agreement.id,
            "session_number": agreement.session.number,
            "owner": agreement.owner_label,
            "due_date": agreement.due_date.isoformat(),
            "case_id": agreement.case_id,
            "case_code": format_case_code(agreement.case_id) if agreement.case_id else None,
            "overdue": agreement.due_date < day,
        }
        for agreement in groups.still_open
    ]
    return {
        "follow_up": [
            agreement_entry(agreement, session, follow_up=True) for agreement in groups.followed_up
        ],
        "still_open": {
            "count": len(annex),
            "overdue": sum(1 for entry in annex if entry["overdue"]),
            "annex": annex,
        },
    }


def session_day(session: BoardSession) -> date:
    return agreements.session_day(session)


def agreement_entry(
    agreement: Agreement, session: BoardSession, *, follow_up: bool = False
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": agreement.id,
        "text": agreement.text,
        "owner": agreement.owner_label,
        "due_date": agreement.due_date.isoformat(),
        "case_id": agreement.case_id,
        "case_code": format_case_code(agreement.case_id) if agreement.case_id else None,
    }
    if follow_up:
        until = session.ended_at or session.ends_at
        done = agreement.done_at is not None and agreement.done_at <= until
        entry.update(
            session_number=agreement.session.number,
            done=done,
            done_at=iso(agreement.done_at) if done else None,
            overdue=not done and agreement.due_date < session_day(session),
        )
    return entry


def open_referrals_of(session: BoardSession) -> list[dict[str, Any]]:
    """The board's referrals made before this session and still open (as the room showed
    them; those of this session are listed under their case)."""
    referrals = referral_service.open_referrals_before(session)
    return [
        {"case_id": referral.case_id, "case_code": format_case_code(referral.case_id),
         **referral_entry(referral)}
        for referral in referrals
    ]  # fmt: skip


def referral_entry(referral: Referral) -> dict[str, Any]:
    return {
        "to_centre": referral.to_centre.name,
        "transplant_type": referral.transplant_type.value if referral.transplant_type else None,
        "status": referral.status.value,
    }


def cases_of(session: BoardSession) -> list[dict[str, Any]]:
    entries = []
    for item in session.agenda:
        recommendations = db.session.scalars(
            select(Recommendation)
            .where(
                or_(
                    Recommendation.agenda_item_id == item.id,
                    and_(
                        Recommendation.agenda_item_id.is_(None),
                        Recommendation.session_id == session.id,
                        Recommendation.case_id == item.case_id,
                    ),
                )
            )
            .order_by(Recommendation.recorded_at, Recommendation.id)
        ).all()
        entries.append(
            {
                "agenda_code": item.agenda_code,
                "case_id": item.case_id,
                "case_code": item.case.code,
                "carried_over": item.carried_over,
                "presented_by": item.presented_by.name if item.presented_by else None,
                "outcome": item.outcome.value,
                "deferral_reason": item.deferral_reason.value if item.deferral_reason else None,
                "recommendations": [
                    {
                        "category": rec.category.value,
                        "text": rec.text,
                        "consensus": rec.consensus,
                        "dissent": rec.dissent or None,
                        "responsible": rec.responsible,
                    }
                    for rec in recommendations
                ],
                "referrals": [
                    referral_entry(ref) for rec in recommendations for ref in rec.referrals
                ],
            }
        )
    return entries


# --- what each reader sees ------------------------------------------------------------


def for_viewer(content: dict[str, Any], user: User) -> dict[str, Any]:
    """The minutes as ``user`` may read them: a referring doctor sees the review of their
    own centre's cases only; of the others, the agenda code, presenter and outcome."""
    if user.is_staff:
        return content
    ids = {entry["case_id"] for entry in content["cases"]}
    ids |= {entry["case_id"] for entry in content["open_referrals"]}
    ids |= {e["case_id"] for e in content["follow_up"] + content["agreements"] if e["case_id"]}
    visible = (
        set(
            db.session.scalars(
                visible_cases(user).with_only_columns(Case.id).where(Case.id.in_(ids))
            )
        )
        if ids
        else set()
    )
    shown = copy.deepcopy(content)
    for entry in shown["cases"]:
        if entry["case_id"] not in visible:
            entry.update(recommendations=[], referrals=[], withheld=True)
    shown["open_referrals"] = [e for e in shown["open_referrals"] if e["case_id"] in visible]
    for entry in shown["follow_up"] + shown["agreements"]:
        if entry["case_id"] and entry["case_id"] not in visible:
            entry.update(text=None, withheld=True)
    return shown
