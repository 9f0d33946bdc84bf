"""The version of the data the figures read: one counter row, raised in the same
transaction as any change to those tables, so a stored answer (``answers.py``) tagged with
an older version is never served again — on any web server, since they share the row.

A transaction notes that it changed the figures' data when it flushes a row of one of
``FIGURE_TABLES`` (the ORM), executes an ``INSERT``/``UPDATE``/``DELETE`` on one through the
session (the assignment run's bulk statements), or forgets roll-ups (``rollups.forget_*``:
the generator's COPY, a new family definition). It raises the counter just before it
commits, so the row is locked only for the commit itself, not for the whole transaction.
A reader takes the version *before* computing: data committed after that read comes with
a higher version, so an answer is never tagged newer than what it saw.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from telemed.core.sql import insert, rowcount
from telemed.extensions import db
from telemed.reports.models import StatsVersion

# What the figures read (tests/reports/test_answers.py checks every view's SQL against it).
FIGURE_TABLES = frozenset(
    {
        "cases",
        "board_sessions",
        "agenda_items",
        "attendances",
        "recommendations",
        "agreements",
        "referrals",
        "boards",
        "board_specialties",
        "centres",
    }
)
# Columns of those tables no figure reads, written by background bookkeeping (the
# invitations job marks each session it synced): they would void every answer each time.
BOOKKEEPING = frozenset({"invites_sequence", "invites_roster", "audience_scope",
                         "order_of_business"})  # fmt: skip
CHANGED = "figures_changed"
MAX_STEP = 2**31  # a BigInteger holds four billion changes


def current_version() -> int:
    return db.session.scalar(select(StatsVersion.value).where(StatsVersion.id == 1)) or 0


def mark_changed(session: Any) -> None:
    """This transaction changes what the figures show: raise the version when it commits."""
    session.info[CHANGED] = True


def pending_changes(session: Any) -> bool:
    """Whether this transaction has changed the figures' data and not committed yet (its
    own reads see the change, but other processes do not, and it may still roll back)."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return bool(session.info.get(CHANGED))


def raise_version(session: Session) -> None:
    """Up by a random step, not by one: a database restored from a backup goes back to a
    version whose answers were computed from that same data, and new changes after it
    reach numbers no process has seen, so nothing remembered in memory can be served wrong."""
    step = secrets.randbelow(MAX_STEP) + 1
    raised = session.execute(
        update(StatsVersion)
        .where(StatsVersion.id == 1)
        .values(value=StatsVersion.value + step)
        .execution_options(synchronize_session=False)
    )
    if rowcount(raised) == 0:  # a database made by create_all (tests) has no row yet
        first = insert(StatsVersion).values(id=1, value=step)
        session.execute(
            first.on_conflict_do_update(
                index_elements=[StatsVersion.id], set_={"value": StatsVersion.value + step}
            )
        )


def table_of(obj: object) -> str | None:
    return getattr(type(obj), "__tablename__", None)


@event.listens_for(Session, "after_flush")
def note_flushed_changes(session: Session, _context: Any) -> None:
    if session.info.get(CHANGED):
        return
    for obj in (*session.new, *session.deleted):
        if table_of(obj) in FIGURE_TABLES:
            mark_changed(session)
            return
    for obj in session.dirty:
        if table_of(obj) in FIGURE_TABLES and changed_columns(obj) - BOOKKEEPING:
            mark_changed(session)
            return


def changed_columns(obj: object) -> set[str]:
    return {attr.key for attr in inspect(obj).attrs if attr.history.has_changes()}


@event.listens_for(Session, "do_orm_execute")
def note_statement_changes(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in FIGURE_TABLES:
        mark_changed(state.session)


@event.listens_for(Session, "before_commit")
def raise_before_commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # the commit's own flush comes after this hook: note its changes now
    if session.info.pop(CHANGED, False):
        raise_version(session)


@event.listens_for(Session, "after_transaction_end")
def forget_mark(session: Session, transaction: SessionTransaction) -> None:
    """A rolled-back transaction changed nothing (a savepoint's end keeps the mark)."""
    if transaction.parent is None:
        session.info.pop(CHANGED, None)
