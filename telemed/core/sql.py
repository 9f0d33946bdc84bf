"""SQL that SQLite and PostgreSQL spell alike but SQLAlchemy builds per dialect."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import CursorResult, Result, Row, Select, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute

from telemed.core.errors import NotFound
from telemed.extensions import db

T = TypeVar("T")


def insert(entity: Any) -> Any:
    """``INSERT`` with ``ON CONFLICT`` (``on_conflict_do_nothing`` / ``_do_update``) for the
    database in use: the race-safe way to create a row that must exist once."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(entity)
    return sqlite.insert(entity)


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """How many rows an ``UPDATE`` or ``DELETE`` run by ``db.session.execute`` matched.

    The session types every result as a ``Result``; for these statements it is a
    ``CursorResult``, which has the count (SQLite and PostgreSQL both report it)."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"no row count on {type(result).__name__}")
    return result.rowcount


def hold_row(column: InstrumentedAttribute[Any], row_id: int) -> None:
    """Hold a row until the transaction ends, so writers of it take turns: a no-op
    ``UPDATE`` of ``column`` takes PostgreSQL's row lock and SQLite's write lock alike
    (``SELECT ... FOR UPDATE`` would not lock on SQLite), and the one who waited then reads
    what the first wrote."""
    model = column.class_
    db.session.execute(
        update(model)
        .where(model.id == row_id)
        .values({column: column})
        .execution_options(synchronize_session=False)
    )


def any_row(query: Select[Any]) -> bool:
    """Whether ``query`` finds a row: the predicate form of an access query, so that "may
    see this one?" and "the ones they may see" come from the same expression."""
    return bool(db.session.scalar(select(query.exists())))


def get_within(model: type[T], row_id: int, *, owner: str, owner_id: int, what: str) -> T:
    """The row ``row_id`` of ``model`` if it belongs to the owner named in the URL (its
    ``owner`` column equals ``owner_id``), else ``NotFound``: an id copied from another
    board's, session's or user's address opens nothing."""
    row = db.session.get(model, row_id)
    if row is None or getattr(row, owner) != owner_id:
        raise NotFound(f"{what} not found")
    return row


def one_visible(query: Select[T], what: str) -> T:
    """The row an access query finds, or ``NotFound`` whether it is missing or hidden from
    the user: existence never leaks."""
    found = db.session.scalar(query)
    if found is None:
        raise NotFound(f"{what} not found")
    return found


def plain_rows(query: Select[*tuple[Any, ...]]) -> list[Row[*tuple[Any, ...]]]:
    """The rows of a statement of plain columns, run on the session's connection: the ORM's
    execution path, which only entities need, cost a third more than the database itself
    for a page of 50 (bench/README.md). Pending changes are flushed first, as the session's
    own ``execute`` would."""
    db.session.flush()
    return list(db.session.connection().execute(query).all())
