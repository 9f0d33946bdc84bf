"""Whether this server can answer real requests: the database answers, and its schema is the
one this code was written for (the database's Alembic revision is the code's head).

A server whose code is newer than the database (``flask db upgrade`` not run yet) or older
(a rollback of the code only) would fail on the first query that touches a changed table;
the readiness probe says so, by name, before a load balancer sends it users.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from telemed.extensions import db


@functools.cache
def code_heads(directory: str) -> frozenset[str]:
    """The head revision(s) of the migrations shipped with this code (read once per process)."""
    return frozenset(ScriptDirectory(directory).get_heads())


def migrations_directory() -> str:
    return str(Path(current_app.extensions["migrate"].directory))


def problems() -> list[str]:
    """What keeps this server from being ready, in a few words each; empty when ready.

    Uses a connection of its own, never the request's session, and holds it for two short
    statements."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            try:
                found = frozenset(
                    connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
                )
            except SQLAlchemyError:
                return ["database has no migrations applied (run flask db upgrade)"]
    except SQLAlchemyError:
        return ["database unreachable"]
    expected = code_heads(migrations_directory())
    if found != expected:
        return [
            f"database migrations at {', '.join(sorted(found)) or 'none'}, code expects "
            f"{', '.join(sorted(expected))} (run flask db upgrade)"
        ]
    return []
