"""The report's figures for one slice (the whole run, a board, a month). What the dashboard
also shows is taken from the dashboard (``reports.service.run_view``: the same figures as
``/api/v1/stats``); only what it does not show is counted here, from the same rows."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from telemed.auth.models import User
from telemed.boards.models import Board
from telemed.cases.models import Case, Urgency
from telemed.core.clock import now_utc
from telemed.extensions import db
from telemed.reports.scope import Scope, build_scope
from telemed.reports.service import run_view
from telemed.reports.sql import percentile, share
from telemed.sessions.assignment import URGENT_WITHIN
from telemed.sessions.labels import DEFERRAL_REASON_LABELS
from telemed.sessions.models import (
    AgendaItem,
    BoardSession,
    DeferralReason,
    ItemOutcome,
    SessionStatus,
)

DASHBOARD_VIEWS = ("cases", "turnaround", "outcomes", "sessions")


def scope_for(admin: User, first: date, last: date, board: Board | None = None) -> Scope:
    args = {"period": "custom", "from": first.isoformat(), "to": last.isoformat()}
    if board is not None:
        args["board"] = str(board.id)
    return build_scope(admin, args)


def dashboard(scope: Scope) -> dict[str, Any]:
    """The dashboard's views for the scope, as ``/api/v1/stats`` answers them."""
    return {view: run_view(view, scope).as_json() for view in DASHBOARD_VIEWS}


def figure(views: dict[str, Any], view: str, key: str) -> Any:
    return views[view]["figures"][key]["value"]


def slice_figures(scope: Scope) -> dict[str, Any]:
    """Every figure of the report for one slice."""
    views = dashboard(scope)
    deferred = {
        row["reason"]: row["cases"] for row in views["outcomes"]["tables"]["deferrals"]["rows"]
    }
    start, end = scope.period.bounds(scope.chart_zone)
    assert start is not None and end is not None
    specialties = [s for board in scope.boards for s in board.specialty_values]
    board_ids = [board.id for board in scope.boards]
    on_agenda = cases_on_held_agendas(board_ids, start, end)
    deferred_missing, deferred_time = deferral_counts(views)
    in_time, due = urgent_after_acceptance(specialties, start, end)
    routine = routine_hours(specialties, start, end)
    return {
        "submitted": figure(views, "cases", "submitted"),
        "accepted": figure(views, "cases", "accepted"),
        "examined": figure(views, "cases", "examined"),
        "urgent_72h_share": figure(views, "cases", "urgent_72h_share"),
        "urgent_72h_of_acceptance_share": share(in_time, due),
        "urgent_counted": due,
        "discussion_median_days": figure(views, "turnaround", "discussion_median_days"),
        "discussion_p90_days": figure(views, "turnaround", "discussion_p90_days"),
        "routine_median_days": in_days(percentile(routine, 0.5)),
        "routine_p90_days": in_days(percentile(routine, 0.9)),
        "routine_counted": sum(n for _, n in routine),
        "cases_on_held_agendas": on_agenda,
        "deferred_missing_material": deferred_missing,
        "deferred_no_time": deferred_time,
        "deferred_missing_material_share": share(deferred_missing, on_agenda),
        "deferred_no_time_share": share(deferred_time, on_agenda),
        "deferred_any_share": share(sum(deferred.values()), on_agenda),
        "agenda_use": figure(views, "sessions", "agenda_use"),
        "sessions_held": figure(views, "sessions", "case_review_sessions"),
        "extraordinary_sessions": extraordinary(board_ids, start, end),
    }


def deferral_rows(views: dict[str, Any]) -> dict[str, int]:
    """Cases deferred, by the reason's label (the dashboard's ``deferrals`` table)."""
    rows = views["outcomes"]["tables"]["deferrals"]["rows"]
    return {row["reason"]: int(row["cases"]) for row in rows}


def deferral_counts(views: dict[str, Any]) -> tuple[int, int]:
    """Cases deferred for missing material and for lack of time (the dashboard's table,
    whose rows are named by the reason's label)."""
    rows = {
        row["reason"]: int(row["cases"]) for row in views["outcomes"]["tables"]["deferrals"]["rows"]
    }
    label = DEFERRAL_REASON_LABELS
    return (
        rows.get(str(label[DeferralReason.MISSING_MATERIAL]), 0),
        rows.get(str(label[DeferralReason.NO_TIME]), 0),
    )


def in_days(hours: float | None) -> float | None:
    return None if hours is None else round(hours / 24, 1)


def cases_on_held_agendas(board_ids: list[int], start: datetime, end: datetime) -> int:
    """Distinct cases a held session of these boards discussed or deferred in the period."""
    return int(db.session.scalar(
        select(func.count(func.distinct(AgendaItem.case_id)))
        .join(BoardSession, BoardSession.id == AgendaItem.session_id)
        .where(BoardSession.board_id.in_(board_ids), BoardSession.status == SessionStatus.HELD,
               BoardSession.starts_at >= start, BoardSession.starts_at < end,
               AgendaItem.outcome.in_((ItemOutcome.DISCUSSED, ItemOutcome.DEFERRED)))
    ) or 0)  # fmt: skip


def urgent_after_acceptance(
    specialties: list[Any], start: datetime, end: datetime
) -> tuple[int, int]:
    """(discussed within 72 h of acceptance, counted) of the urgent cases submitted in the
    period, counted as the dashboard counts from submission: discussed, or 72 h gone by."""
    rows = db.session.execute(
        select(Case.accepted_at, Case.first_discussed_at).where(
            Case.urgency == Urgency.URGENT, Case.specialty.in_(specialties),
            Case.submitted_at >= start, Case.submitted_at < end, Case.accepted_at.is_not(None))
    ).all()  # fmt: skip
    now = now_utc()
    in_time = due = 0
    for accepted, discussed in rows:
        if accepted is None:
            continue
        if discussed is None and accepted + URGENT_WITHIN > now:
            continue
        due += 1
        in_time += discussed is not None and discussed <= accepted + URGENT_WITHIN
    return in_time, due


def routine_hours(specialties: list[Any], start: datetime, end: datetime) -> list[tuple[int, int]]:
    """Histogram of whole hours, submission → first discussion, of routine cases first
    discussed in the period (the dashboard's definition, routine cases only)."""
    rows = db.session.execute(
        select(Case.submitted_at, Case.first_discussed_at).where(
            Case.urgency == Urgency.ROUTINE, Case.specialty.in_(specialties),
            Case.first_discussed_at >= start, Case.first_discussed_at < end)
    ).all()  # fmt: skip
    hours = Counter(
        int((discussed - sent).total_seconds() // 3600)
        for sent, discussed in rows
        if sent is not None and discussed is not None
    )
    return list(hours.items())


def extraordinary(board_ids: list[int], start: datetime, end: datetime) -> int:
    return int(db.session.scalar(
        select(func.count()).select_from(BoardSession).where(
            BoardSession.board_id.in_(board_ids), BoardSession.extraordinary.is_(True),
            BoardSession.starts_at >= start, BoardSession.starts_at < end)
    ) or 0)  # fmt: skip
