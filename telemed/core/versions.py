"""Versions of data that answers are remembered from: each ``Counter`` is one row of
``data_versions``, raised in the same transaction as any change to the tables its readers
read, so an answer remembered at an older version is never served again — on any web
server, since they share the row. Readers: the figures (``reports/version.py``) and the
private calendar feeds' tags (``invites/feed_tags.py``).

A transaction notes that it changed a counter's data when it flushes a row of one of its
tables (the ORM; an update counts when a column the counter watches changed), executes an
``INSERT``/``UPDATE``/``DELETE`` on one through the session (bulk statements), or says so
(``Counter.mark``, ``mark_all``: writes around the ORM, such as the generator's COPY). It raises the
counter just before it commits, so the row is locked only for the commit itself. A reader
takes the version *before* reading the data: data committed after that read comes with a
higher version, so an answer is never tagged newer than what it saw.

Counters are declared where their readers live and registered when that module is
imported; ``telemed/models.py`` imports them, so every process with an app (web servers,
the scheduler, CLI commands) raises every counter.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, event, inspect, select, update
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, SessionTransaction, mapped_column

from telemed.core.sql import insert, rowcount
from telemed.extensions import Model, db

MAX_STEP = 2**31  # a BigInteger holds four billion changes
ALL_COLUMNS = None


class DataVersion(Model):
    """One row per ``Counter`` (``id`` 1: the figures, 2: the calendar feeds)."""

    __tablename__ = "data_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


@dataclass(frozen=True)
class Counter:
    """``tables``: each table its readers read, with the columns whose change counts
    (``ALL_COLUMNS``: every column but ``bookkeeping``); a new or deleted row always counts."""

    row_id: int
    name: str
    tables: Mapping[str, frozenset[str] | None]
    bookkeeping: frozenset[str] = field(default_factory=frozenset)

    @property
    def flag(self) -> str:
        return f"{self.name}_changed"

    def current(self) -> int:
        value = select(DataVersion.value).where(DataVersion.id == self.row_id)
        return db.session.scalar(value) or 0

    def mark(self, session: Any) -> None:
        """This transaction changes this counter's data: raise it when it commits."""
        session.info[self.flag] = True

    def pending(self, session: Any) -> bool:
        """Whether this transaction has changed the data and not committed yet (its own
        reads see the change, but other processes do not, and it may still roll back)."""
        if session.new or session.dirty or session.deleted:
            session.flush()
        return bool(session.info.get(self.flag))

    def counts(self, obj: object, *, updated: bool) -> bool:
        """Whether writing ``obj`` (new or deleted, or ``updated``) changes this data."""
        table = getattr(type(obj), "__tablename__", None)
        if not isinstance(table, str) or table not in self.tables:
            return False
        if not updated:
            return True
        watched = self.tables[table]
        changed = changed_columns(obj)
        return bool(changed & watched if watched is not None else changed - self.bookkeeping)

    def raise_version(self, session: Session) -> None:
        """Up by a random step, not by one: a database restored from a backup goes back to
        a version whose answers were computed from that same data, and new changes after it
        reach numbers no process has seen, so nothing remembered can be served wrong."""
        step = secrets.randbelow(MAX_STEP) + 1
        raised = session.execute(
            update(DataVersion)
            .where(DataVersion.id == self.row_id)
            .values(value=DataVersion.value + step)
            .execution_options(synchronize_session=False)
        )
        if rowcount(raised) == 0:  # a database made by create_all (tests) has no row yet
            first = insert(DataVersion).values(id=self.row_id, value=step)
            session.execute(
                first.on_conflict_do_update(
                    index_elements=[DataVersion.id], set_={"value": DataVersion.value + step}
                )
            )


COUNTERS: list[Counter] = []


def register(counter: Counter) -> Counter:
    """Raise ``counter`` from now on (once; counters are raised in row order, so two
    committing transactions lock the rows in the same order)."""
    if all(known.row_id != counter.row_id for known in COUNTERS):
        COUNTERS.append(counter)
        COUNTERS.sort(key=lambda known: known.row_id)
    return counter


def mark_all(session: Any) -> None:
    """Rows written around the ORM (the generator's COPY, raw SQL): raise every counter."""
    for counter in COUNTERS:
        counter.mark(session)


def changed_columns(obj: object) -> set[str]:
    return {attr.key for attr in inspect(obj).attrs if attr.history.has_changes()}


@event.listens_for(Session, "after_flush")
def note_flushed_changes(session: Session, _context: Any) -> None:
    added_or_deleted = (*session.new, *session.deleted)
    for counter in COUNTERS:
        if session.info.get(counter.flag):
            continue
        if any(counter.counts(obj, updated=False) for obj in added_or_deleted) or any(
            counter.counts(obj, updated=True) for obj in session.dirty
        ):
            counter.mark(session)


@event.listens_for(Session, "do_orm_execute")
def note_statement_changes(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    for counter in COUNTERS:
        if table in counter.tables:
            counter.mark(state.session)


@event.listens_for(Session, "before_commit")
def raise_before_commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # the commit's own flush comes after this hook: note its changes now
    for counter in COUNTERS:
        if session.info.pop(counter.flag, False):
            counter.raise_version(session)


@event.listens_for(Session, "after_transaction_end")
def forget_marks(session: Session, transaction: SessionTransaction) -> None:
    """A rolled-back transaction changed nothing (a savepoint's end keeps the marks)."""
    if transaction.parent is None:
        for counter in COUNTERS:
            session.info.pop(counter.flag, None)
