"""Sessions held (by kind) and cancelled, sessions per month, agenda use, and attendance
per session and per centre. Sessions belong to boards, so the centre and state filters
apply to attendance only (whose centre attended), not to the count of sessions."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, true

from telemed.boards.labels import SESSION_KIND_LABELS
from telemed.boards.models import SessionKind
from telemed.centres.models import Centre
from telemed.extensions import db
from telemed.reports.names import UNKNOWN, Names
from telemed.reports.rollups import chart_months, grouped, grouped_by_month
from telemed.reports.scope import Scope
from telemed.reports.sql import share
from telemed.reports.tables import Chart, Figure, Table
from telemed.reports.trend import highlight_note, in_period, mark_chosen, trend_scope
from telemed.room.models import Attendance
from telemed.sessions.labels import SESSION_STATUS_LABELS
from telemed.sessions.models import BoardSession, SessionStatus

# Long lists (one row per session or unit) show this many rows; the CSV has them all.
PAGE_ROWS = 25

DEFINITIONS = {
    "held": _l(
        "Sessions marked held whose start falls in the period (on the board's clock), by "
        "kind: case review, training, keynote lecture."
    ),
    "cancelled": _l("Sessions cancelled whose planned start falls in the period."),
    "sessions": _l(
        "Every session whose start falls in the period, by kind and by status today "
        "(planned, agenda closed, held, cancelled)."
    ),
    "agenda_use": _l(
        "Cases discussed in held case-review sessions of the period, over the places those "
        "sessions offered (session length / minutes per case)."
    ),
    "attendance": _l(
        "People marked present in held sessions of the period; the average is per held "
        "session with anyone present. With a centre or state filter, only attendees whose "
        "recorded unit is one of those centres count (the sessions stay all of them)."
    ),
}


def held_sessions(scope: Scope) -> Any:
    return and_(
        scope.by_board(BoardSession.board_id, BoardSession.starts_at),
        BoardSession.status == SessionStatus.HELD,
    )


def session_counts(scope: Scope) -> dict[str, Any]:
    """Sessions by kind and status."""
    counts: Counter[tuple[SessionKind, SessionStatus]] = Counter()
    for key, n in grouped("session", scope).items():
        counts[(SessionKind(key[2]), SessionStatus(key[3]))] += n
    held = {kind: counts[(kind, SessionStatus.HELD)] for kind in SessionKind}
    cancelled = sum(n for (_, status), n in counts.items() if status is SessionStatus.CANCELLED)
    return {"held": held, "held_total": sum(held.values()), "cancelled": cancelled,
            "by_kind_status": counts}  # fmt: skip


def session_figures(counts: dict[str, Any]) -> list[Figure]:
    held = counts["held"]
    return [
        Figure("sessions_held", _l("Sessions held"), counts["held_total"], DEFINITIONS["held"]),
        Figure("case_review_sessions", _l("Case-review sessions"), held[SessionKind.CASE_REVIEW],
               DEFINITIONS["held"]),
        Figure("training_sessions", _l("Training sessions"), held[SessionKind.TRAINING],
               DEFINITIONS["held"]),
        Figure("keynote_lectures", _l("Keynote lectures"), held[SessionKind.KEYNOTE],
               DEFINITIONS["held"]),
        Figure("sessions_cancelled", _l("Sessions cancelled"), counts["cancelled"],
               DEFINITIONS["cancelled"]),
    ]  # fmt: skip


def sessions_table(counts: dict[str, Any]) -> Table:
    by = counts["by_kind_status"]
    rows = [
        {"kind": str(label),
         **{status.value: by[(kind, status)] for status in SessionStatus},
         "total": sum(by[(kind, status)] for status in SessionStatus)}
        for kind, label in SESSION_KIND_LABELS.items()
    ]  # fmt: skip
    columns = [("kind", _l("Kind"))]
    columns += [(status.value, SESSION_STATUS_LABELS[status]) for status in SessionStatus]
    columns.append(("total", _l("Total")))
    return Table(
        "sessions", _l("Sessions by kind and status"), columns, rows, DEFINITIONS["sessions"]
    )


def sessions_per_month(scope: Scope) -> tuple[Table, Chart]:
    """Held sessions per month, by kind; a short period among the twelve months before."""
    trend = trend_scope(scope)
    per_month = grouped_by_month("session", trend)
    months = chart_months(trend, per_month)
    highlight = in_period(months, scope.period)
    counts: Counter[tuple[int, SessionKind]] = Counter()
    for i, month in enumerate(months):
        for key, n in per_month.get(month, Counter()).items():
            if key[3] == SessionStatus.HELD.value:
                counts[(i, SessionKind(key[2]))] += n
    rows = [
        {"month": month.strftime("%Y-%m"),
         **{kind.value: counts[(i, kind)] for kind in SessionKind}}
        for i, month in enumerate(months)
    ]  # fmt: skip
    table = Table(
        "sessions_by_month", _l("Sessions held per month"),
        [("month", _l("Month"))] + [(k.value, SESSION_KIND_LABELS[k]) for k in SessionKind]
        + mark_chosen(rows, highlight),
        rows, DEFINITIONS["held"],
    )  # fmt: skip
    chart = Chart(
        "sessions_per_month", _l("Sessions held per month"), "bar",
        labels=[format_date(month, "MMM yyyy") for month in months],
        datasets=[{"label": SESSION_KIND_LABELS[kind], "data": [r[kind.value] for r in rows]}
                  for kind in SessionKind],
        stacked=True, table="sessions_by_month",
        highlight=highlight, note=highlight_note(months, highlight),
    )  # fmt: skip
    return table, chart


def agenda_use(scope: Scope, names: Names) -> tuple[Figure, Table]:
    """Per board: places offered and cases discussed in its held case-review sessions."""
    places: Counter[int] = Counter()
    discussed: Counter[int] = Counter()
    for key, n in grouped("session.places", scope).items():
        places[key[0]] += n
    for key, n in grouped("session.discussed", scope).items():
        discussed[key[0]] += n
    rows: list[dict[str, Any]] = [
        {"board": names.board(board_id), "places": places[board_id],
         "discussed": discussed[board_id], "use": share(discussed[board_id], places[board_id])}
        for board_id in sorted(set(places) | set(discussed), key=names.board)
    ]  # fmt: skip
    total_places = sum(row["places"] for row in rows)
    total_discussed = sum(row["discussed"] for row in rows)
    figure = Figure("agenda_use", _l("Agenda use"), share(total_discussed, total_places),
                    DEFINITIONS["agenda_use"], unit="%")  # fmt: skip
    table = Table(
        "agenda_use", _l("Agenda use by board"),
        [("board", _l("Board")), ("places", _l("Places offered")),
         ("discussed", _l("Cases discussed")), ("use", _l("Used (%)"))],
        rows, DEFINITIONS["agenda_use"],
    )  # fmt: skip
    return figure, table


def attendee_filter(scope: Scope) -> Any:
    """Centre/state filters match attendees by the unit recorded for them (their centre)."""
    if scope.centre_ids is None:
        return true()
    return Attendance.unit.in_(select(Centre.name).where(Centre.id.in_(scope.centre_ids)))


def attendance(scope: Scope, names: Names) -> tuple[Figure, Table, Table]:
    present_by_unit: Counter[str] = Counter()
    sessions_by_unit: Counter[str] = Counter()
    for key, n in grouped("attendance.unit", scope).items():
        present_by_unit[key[2]] += n
    for key, n in grouped("attendance.unit_sessions", scope).items():
        sessions_by_unit[key[2]] += n
    total = sum(present_by_unit.values())
    sessions = sum(grouped("attendance.sessions", scope).values())
    average = round(total / sessions, 1) if sessions else None
    per_unit = [
        {"unit": unit or str(UNKNOWN), "present": n, "sessions": sessions_by_unit[unit]}
        for unit, n in sorted(present_by_unit.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    figure = Figure("attendance_average", _l("Average attendance per session"), average,
                    DEFINITIONS["attendance"])  # fmt: skip
    session_table = Table(
        "attendance_by_session", _l("Attendance per session"),
        [("date", _l("Date")), ("board", _l("Board")), ("number", _l("Session")),
         ("kind", _l("Kind")), ("present", _l("Present"))],
        latest_sessions(scope, names), DEFINITIONS["attendance"],
        complete=scope.full or sessions <= PAGE_ROWS,
    )  # fmt: skip
    unit_table = Table(
        "attendance_by_centre", _l("Attendance per centre or unit"),
        [("unit", _l("Centre or unit")), ("present", _l("Attendances")),
         ("sessions", _l("Sessions attended"))],
        per_unit, DEFINITIONS["attendance"],
    )  # fmt: skip
    return figure, session_table, unit_table


def latest_sessions(scope: Scope, names: Names) -> list[dict[str, Any]]:
    """Newest held sessions with someone present, and how many (the page reads 25 through
    the sessions' date index; the CSV all)."""
    present = and_(
        Attendance.session_id == BoardSession.id,
        Attendance.present.is_(True),
        attendee_filter(scope),
    )
    count = select(func.count()).select_from(Attendance).where(present).scalar_subquery()
    query = (
        select(BoardSession.board_id, BoardSession.number, BoardSession.kind,
               BoardSession.starts_at, count)
        .where(held_sessions(scope), select(Attendance.id).where(present).exists())
        .order_by(BoardSession.starts_at.desc(), BoardSession.id.desc())
    )  # fmt: skip
    return [
        {"date": format_date(starts_at, "yyyy-MM-dd"), "board": names.board(board_id),
         "number": number, "kind": str(SESSION_KIND_LABELS[kind]), "present": n}
        for board_id, number, kind, starts_at, n in db.session.execute(
            scope.limited(query, PAGE_ROWS))
    ]  # fmt: skip
