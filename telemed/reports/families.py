"""The grouped counts the heavy figures are made of, each defined once: what table, which
timestamp puts a row in a period ("anchor"), how a row finds its board, and the keys it is
grouped by. The same definition answers live (any window) and builds monthly roll-ups, so
a figure read from roll-ups and one computed live cannot disagree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeAlias

from sqlalchemy import Integer, Select, String, and_, case, cast, func, literal, or_, select

from telemed.agreements.models import Agreement
from telemed.boards.models import SessionKind
from telemed.cases.models import Case, Urgency
from telemed.core.clock import now_utc
from telemed.referrals.models import Referral
from telemed.reports.sql import seconds_between, whole_hours_between
from telemed.room.models import Attendance, Recommendation
from telemed.sessions.models import AgendaItem, BoardSession, ItemOutcome, SessionStatus

URGENT_WINDOW = timedelta(hours=72)

# FROM, joins and the rows that count; a family's columns (keys, anchor, value) come later.
Rows: TypeAlias = Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class Family:
    name: str
    source: Callable[[], Rows]  # FROM, joins and the rows that count
    anchor: Callable[[], Any]  # the timestamp that puts a row in a period
    routing: str  # "specialty" (cases), "session" (the session's board) or "referral"
    centre: Callable[[], Any] | None = None  # the centre a row belongs to
    keys: Callable[[], tuple[Any, Any, Any]] = lambda: (literal(""), literal(""), literal(0))
    value: Callable[[], Any] = func.count
    # "centre": filtered by centre_id; "unit": k1 is the attendee's unit (a centre's name);
    # "live": no centre in the roll-up, so a centre filter computes this family live;
    # "ignore": a centre filter does not apply (a session's places belong to no centre).
    centre_mode: str = "centre"
    # The key positions (board, centre, k1, k2, k3) the figures read; the others are only
    # filtered on, and summed over in the database (fewer groups to send back).
    reads: tuple[int, ...] = (0, 1, 2, 3, 4)
    # A "live" family whose all-time totals are also kept by centre: too many groups per
    # month, few over all time, so "all time" under a centre or state filter reads them.
    centre_totals: bool = False


def case_source() -> Rows:
    return select().select_from(Case)


def held_session_source(*joins: Any) -> Callable[[], Rows]:
    def build() -> Rows:
        query = select().select_from(BoardSession)
        for join in joins:
            query = join(query)
        return query.where(BoardSession.status == SessionStatus.HELD)

    return build


def urgent_in_time() -> Any:
    wait = seconds_between(Case.first_discussed_at, Case.submitted_at)
    return case(
        (and_(Case.first_discussed_at.is_not(None), wait <= URGENT_WINDOW.total_seconds()), 1),
        else_=0,
    )


def urgent_source() -> Rows:
    """Urgent cases that count in the 72-hour share: discussed, or their 72 h are over."""
    due = or_(Case.first_discussed_at.is_not(None), Case.submitted_at <= now_utc() - URGENT_WINDOW)
    return select().select_from(Case).where(Case.urgency == Urgency.URGENT, due)


def with_attendance(query: Rows) -> Rows:
    return query.join(Attendance, Attendance.session_id == BoardSession.id).where(
        Attendance.present.is_(True)
    )


def with_recommendations(query: Rows) -> Rows:
    return query.join(Recommendation, Recommendation.session_id == BoardSession.id).join(
        Case, Case.id == Recommendation.case_id
    )


def with_discussed_items(query: Rows) -> Rows:
    return query.join(AgendaItem, AgendaItem.session_id == BoardSession.id).where(
        AgendaItem.outcome == ItemOutcome.DISCUSSED, BoardSession.kind == SessionKind.CASE_REVIEW
    )


def case_review(query: Rows) -> Rows:
    return query.where(BoardSession.kind == SessionKind.CASE_REVIEW)


def text_key(column: Any) -> Any:
    """An enum column as its stored text ("" for none), the roll-ups' string key."""
    return func.coalesce(cast(column, String(40)), literal(""))


def referral_wait() -> Any:
    """Hours from the session that decided the referral (else the case's first discussion)
    to its completion; looked up per completed referral, not joined to every case."""
    deciding = (
        select(BoardSession.starts_at)
        .join(Recommendation, Recommendation.session_id == BoardSession.id)
        .where(Recommendation.id == Referral.recommendation_id)
        .scalar_subquery()
    )
    first_discussion = (
        select(Case.first_discussed_at).where(Case.id == Referral.case_id).scalar_subquery()
    )
    return whole_hours_between(Referral.completed_at, func.coalesce(deciding, first_discussion))


def completed_referrals() -> Rows:
    return (
        select()
        .select_from(Referral)
        .where(Referral.completed_at.is_not(None), referral_wait() >= 0)
    )


def agreement_source() -> Rows:
    return (
        select()
        .select_from(Agreement)
        .join(BoardSession, BoardSession.id == Agreement.session_id)
        .outerjoin(Case, Case.id == Agreement.case_id)
    )


def agreement_keys() -> tuple[Any, Any, Any]:
    """Open or done; an open one keeps its due date (overdue is decided when read)."""
    is_open = Agreement.done_at.is_(None)
    state = case((is_open, literal("open")), else_=literal("done"))
    due = case((is_open, cast(Agreement.due_date, String(40))), else_=literal(""))
    return state, due, literal(0)


FAMILIES = {
    family.name: family
    for family in (
        Family("case.status", case_source, lambda: Case.submitted_at, "specialty",
               lambda: Case.centre_id, lambda: (text_key(Case.status), literal(""), literal(0))),
        Family("case.urgency", case_source, lambda: Case.submitted_at, "specialty",
               lambda: Case.centre_id, lambda: (text_key(Case.urgency), literal(""), literal(0)),
               reads=(2,)),
        Family("case.request", case_source, lambda: Case.submitted_at, "specialty",
               lambda: Case.centre_id,
               lambda: (text_key(Case.request_kind), literal(""), literal(0)), reads=(2,)),
        Family("case.accepted", case_source, lambda: Case.accepted_at, "specialty",
               lambda: Case.centre_id, reads=()),
        Family("case.examined", case_source, lambda: Case.first_discussed_at, "specialty",
               lambda: Case.centre_id,
               lambda: (literal(""), literal(""), cast(Case.high_complexity, Integer)), reads=(4,)),
        Family("case.urgent", urgent_source, lambda: Case.submitted_at, "specialty",
               lambda: Case.centre_id, lambda: (literal(""), literal(""), urgent_in_time()),
               reads=(4,)),
        Family("case.wait", lambda: case_source().where(
                   Case.submitted_at.is_not(None), Case.first_discussed_at >= Case.submitted_at),
               lambda: Case.first_discussed_at, "specialty", lambda: Case.centre_id,
               lambda: (literal(""), literal(""),
                        whole_hours_between(Case.first_discussed_at, Case.submitted_at)),
               centre_mode="live", reads=(4,), centre_totals=True),
        # The same wait in whole days: the monthly chart reads a few rows per month.
        Family("case.wait_days", lambda: case_source().where(
                   Case.submitted_at.is_not(None), Case.first_discussed_at >= Case.submitted_at),
               lambda: Case.first_discussed_at, "specialty", lambda: Case.centre_id,
               lambda: (literal(""), literal(""),
                        whole_hours_between(Case.first_discussed_at, Case.submitted_at) // 24),
               centre_mode="live", reads=(4,)),
        Family("referral.wait", completed_referrals, lambda: Referral.completed_at, "referral",
               lambda: Referral.from_centre_id,
               lambda: (literal(""), literal(""), referral_wait()), reads=(4,)),
        Family("session", lambda: select().select_from(BoardSession),
               lambda: BoardSession.starts_at, "session",
               keys=lambda: (text_key(BoardSession.kind), text_key(BoardSession.status),
                             literal(0)),
               centre_mode="ignore", reads=(2, 3)),
        Family("agreement", agreement_source, lambda: BoardSession.starts_at, "session",
               lambda: func.coalesce(Case.centre_id, 0), agreement_keys, reads=(0, 2, 3)),
        Family("session.places", held_session_source(case_review),
               lambda: BoardSession.starts_at, "session",
               value=lambda: func.sum(BoardSession.capacity), centre_mode="ignore"),
        Family("session.discussed", held_session_source(with_discussed_items),
               lambda: BoardSession.starts_at, "session", centre_mode="ignore"),
        Family("attendance.unit", held_session_source(with_attendance),
               lambda: BoardSession.starts_at, "session",
               keys=lambda: (func.coalesce(Attendance.unit, literal("")), literal(""), literal(0)),
               centre_mode="unit", reads=(2,)),
        Family("attendance.unit_sessions", held_session_source(with_attendance),
               lambda: BoardSession.starts_at, "session",
               keys=lambda: (func.coalesce(Attendance.unit, literal("")), literal(""), literal(0)),
               value=lambda: func.count(func.distinct(Attendance.session_id)),
               centre_mode="unit", reads=(2,)),
        Family("attendance.sessions", held_session_source(with_attendance),
               lambda: BoardSession.starts_at, "session",
               value=lambda: func.count(func.distinct(Attendance.session_id)),
               centre_mode="ignore", reads=()),
        Family("recommendation", held_session_source(with_recommendations),
               lambda: BoardSession.starts_at, "session", None,
               lambda: (text_key(Recommendation.category), text_key(Recommendation.adherence),
                        literal(0)), centre_mode="live", reads=(2, 3)),
        Family("recommendation.centre", held_session_source(with_recommendations),
               lambda: BoardSession.starts_at, "session", lambda: Case.centre_id,
               lambda: (text_key(Recommendation.category), text_key(Recommendation.adherence),
                        literal(0)), reads=(2, 3)),
    )
}  # fmt: skip
