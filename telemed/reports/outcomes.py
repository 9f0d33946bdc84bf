"""What sessions produced: recommendations and whether they were carried out (with the
reasons), cases deferred in the meeting (for missing material above all), and the
agreements open, done and overdue."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, literal_column, select

from telemed.cases.models import Case, format_case_code
from telemed.core.clock import now_utc
from telemed.extensions import db
from telemed.reports.names import Names
from telemed.reports.rollups import grouped
from telemed.reports.scope import Scope
from telemed.reports.sessions import PAGE_ROWS
from telemed.reports.sql import share
from telemed.reports.tables import Figure, Table
from telemed.room.labels import ADHERENCE_LABELS, RECOMMENDATION_CATEGORY_LABELS
from telemed.room.models import Adherence, Recommendation, RecommendationCategory
from telemed.sessions.labels import DEFERRAL_REASON_LABELS
from telemed.sessions.models import (
    AgendaItem,
    BoardSession,
    DeferralReason,
    ItemOutcome,
    SessionStatus,
)

DEFINITIONS = {
    "recommendations": _l(
        "Recommendations recorded in sessions of the period (on the board's clock); centre "
        "and state filters select the case's centre. Adherence is what the referring centre "
        'answered; "not answered yet" counts the rest.'
    ),
    "reasons": _l("Reasons given for recommendations carried out partly or not at all."),
    "deferred": _l(
        "Cases deferred in the meeting in held sessions of the period, by the reason the "
        "board recorded."
    ),
    "agreements": _l(
        "Agreements recorded in sessions of the period: open (not done), done, and overdue "
        "(open and past the due date on the board's clock)."
    ),
}


def cases_of_centres(scope: Scope) -> Any:
    """The filtered centres' cases, as a semi-join on the centre index."""
    return select(Case.id).where(scope.by_centre(Case.centre_id))


def inline(*values: Any) -> list[Any]:
    """Constant values written into the SQL (a partial index only serves a query whose
    condition matches its own text, which a bound parameter does not)."""
    return [literal_column(f"'{value.value}'") for value in values]


def recommendation_scope(scope: Scope) -> Any:
    return and_(
        scope.by_board(BoardSession.board_id, BoardSession.starts_at),
        BoardSession.status == SessionStatus.HELD,
    )


def recommendation_tables(scope: Scope) -> tuple[list[Figure], list[Table]]:
    joined = (
        select()
        .select_from(Recommendation)
        .join(BoardSession, BoardSession.id == Recommendation.session_id)
        .where(recommendation_scope(scope))
    )
    if scope.centre_ids is not None:
        joined = joined.join(Case, Case.id == Recommendation.case_id).where(
            scope.by_centre(Case.centre_id)
        )
    by_category: Counter[RecommendationCategory] = Counter()
    by_adherence: Counter[Adherence | None] = Counter()
    # By centre only when filtering by one: the network-wide roll-up is ten times smaller.
    family = "recommendation.centre" if scope.centre_ids is not None else "recommendation"
    for key, n in grouped(family, scope).items():
        by_category[RecommendationCategory(key[2])] += n
        by_adherence[Adherence(key[3]) if key[3] else None] += n
    total = sum(by_category.values())
    answered = sum(n for key, n in by_adherence.items() if key is not None)
    adherence_rows = [
        {"adherence": str(label), "count": by_adherence.get(value, 0),
         "share": share(by_adherence.get(value, 0), answered)}
        for value, label in ADHERENCE_LABELS.items()
    ]  # fmt: skip
    adherence_rows.append({"adherence": str(_l("Not answered yet")),
                           "count": by_adherence.get(None, 0), "share": None})  # fmt: skip
    reasons_query = (
        joined.add_columns(Recommendation.case_id, Recommendation.adherence,
                           Recommendation.adherence_reason, Recommendation.adherence_at)
        # Written inline so the planner matches the partial index of these rows.
        .where(Recommendation.adherence.in_(inline(Adherence.PARTLY, Adherence.NO)))
        .order_by(Recommendation.adherence_at.desc(), Recommendation.id.desc())
    )  # fmt: skip
    reasons = [
        {"case": format_case_code(case_id), "adherence": str(ADHERENCE_LABELS[adherence]),
         "reason": reason or "", "date": format_date(at, "yyyy-MM-dd") if at else ""}
        for case_id, adherence, reason, at in db.session.execute(
            scope.limited(reasons_query, PAGE_ROWS))
    ]  # fmt: skip
    carried = by_adherence.get(Adherence.YES, 0)
    figures = [
        Figure("recommendations", _l("Recommendations"), total, DEFINITIONS["recommendations"]),
        Figure("recommendations_carried_out", _l("Recommendations carried out"),
               share(carried, answered), DEFINITIONS["recommendations"], unit="%"),
    ]  # fmt: skip
    tables = [
        Table("by_category", _l("Recommendations by category"),
              [("category", _l("Category")), ("count", _l("Recommendations"))],
              [{"category": str(label), "count": by_category.get(value, 0)}
               for value, label in RECOMMENDATION_CATEGORY_LABELS.items()],
              DEFINITIONS["recommendations"]),
        Table("adherence", _l("Recommendations carried out"),
              [("adherence", _l("Carried out")), ("count", _l("Recommendations")),
               ("share", _l("Share of answered (%)"))],
              adherence_rows, DEFINITIONS["recommendations"]),
        Table("adherence_reasons", _l("Reasons (partly or not carried out)"),
              [("date", _l("Answered")), ("case", _l("Case")), ("adherence", _l("Carried out")),
               ("reason", _l("Reason"))], reasons, DEFINITIONS["reasons"],
              complete=scope.full or len(reasons) < PAGE_ROWS),
    ]  # fmt: skip
    return figures, tables


def deferrals(scope: Scope) -> tuple[Figure, Table]:
    query = (
        select(AgendaItem.deferral_reason, func.count(),
               func.count(func.distinct(AgendaItem.case_id)))
        .where(AgendaItem.outcome.in_(inline(ItemOutcome.DEFERRED)))  # the partial index
        .group_by(AgendaItem.deferral_reason)
    )  # fmt: skip
    if scope.period.is_all_time and scope.whole_network:
        # Every session counts but the few not held: leave those out instead of joining all.
        not_held = select(BoardSession.id).where(BoardSession.status != SessionStatus.HELD)
        query = query.where(AgendaItem.session_id.not_in(not_held))
    else:
        query = query.join(BoardSession, BoardSession.id == AgendaItem.session_id).where(
            scope.by_board(BoardSession.board_id, BoardSession.starts_at),
            BoardSession.status == SessionStatus.HELD,
        )
    if scope.centre_ids is not None:  # joined only when asked: a million cases otherwise
        query = query.where(AgendaItem.case_id.in_(cases_of_centres(scope)))
    counts = {reason: (int(n), int(cases)) for reason, n, cases in db.session.execute(query)}
    rows = [
        {"reason": str(label), "deferrals": counts.get(reason, (0, 0))[0],
         "cases": counts.get(reason, (0, 0))[1]}
        for reason, label in DEFERRAL_REASON_LABELS.items()
    ]  # fmt: skip
    if None in counts:
        rows.append({"reason": str(_l("Not recorded")), "deferrals": counts[None][0],
                     "cases": counts[None][1]})  # fmt: skip
    missing = counts.get(DeferralReason.MISSING_MATERIAL, (0, 0))[1]
    figure = Figure("deferred_missing_material", _l("Cases deferred for missing material"),
                    missing, DEFINITIONS["deferred"])  # fmt: skip
    table = Table(
        "deferrals", _l("Cases deferred in the meeting"),
        [("reason", _l("Reason")), ("deferrals", _l("Deferrals")), ("cases", _l("Cases"))],
        rows, DEFINITIONS["deferred"],
    )  # fmt: skip
    return figure, table


def agreement_counts(scope: Scope, names: Names) -> tuple[list[Figure], Table]:
    """Open and done from the grouped family; overdue from the open ones' due dates, on
    each board's clock today (so a roll-up never goes stale as days pass)."""
    today = {
        board.id: now_utc().astimezone(ZoneInfo(board.timezone)).date()
        for board in names.boards.values()
    }
    tally: dict[int, Counter[str]] = defaultdict(Counter)
    for (board_id, _, state, due, _), n in grouped("agreement", scope).items():
        tally[board_id][state] += n
        if state == "open" and due and date.fromisoformat(due) < today.get(board_id, scope.today):
            tally[board_id]["overdue"] += n
    rows: list[dict[str, Any]] = [
        {"board": names.board(board_id or None), "open": counts["open"],
         "done": counts["done"], "overdue": counts["overdue"]}
        for board_id, counts in tally.items()
    ]  # fmt: skip
    rows.sort(key=lambda row: row["board"])
    totals = {key: sum(row[key] for row in rows) for key in ("open", "done", "overdue")}
    figures = [
        Figure("agreements_open", _l("Agreements open"), totals["open"],
               DEFINITIONS["agreements"]),
        Figure("agreements_done", _l("Agreements done"), totals["done"],
               DEFINITIONS["agreements"]),
        Figure("agreements_overdue", _l("Agreements overdue"), totals["overdue"],
               DEFINITIONS["agreements"]),
    ]  # fmt: skip
    table = Table(
        "agreements", _l("Agreements by board"),
        [("board", _l("Board")), ("open", _l("Open")), ("done", _l("Done")),
         ("overdue", _l("Overdue"))],
        rows, DEFINITIONS["agreements"],
    )  # fmt: skip
    return figures, table
