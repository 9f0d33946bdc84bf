"""Counting the SQL statements an operation sends (what a "no more statements than the
figures need" or "no query per row" claim is checked with)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from telemed.extensions import db


@contextmanager
def statements() -> Iterator[list[str]]:
    """The statements sent inside the block, in order."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)
