"""What the database was asked: SQL statements sent while a block runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from telemed.extensions import db


@contextmanager
def sent_statements() -> Iterator[list[str]]:
    """The SQL statements sent while inside (work that must not grow with the data)."""
    sent: list[str] = []

    def record(*args: object) -> None:
        sent.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
