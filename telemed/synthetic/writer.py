"""Bulk rows into tables: COPY on PostgreSQL, ``executemany`` on SQLite.

Rows are plain tuples of Python values in the column order given (naive UTC datetimes,
dates, booleans, strings, JSON already as text), with explicit ids, so nothing needs
RETURNING and a million rows never become ORM objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import psycopg
from sqlalchemy import Connection, Date, DateTime, func, select, text
from sqlalchemy.types import TypeDecorator

from telemed.extensions import db

BATCH = 20_000


class Writer:
    """Writes through the session's connection, so each chunk is one transaction."""

    def __init__(self) -> None:
        self.postgres = self.connection.dialect.name == "postgresql"
        self.counts: dict[str, int] = {}

    @property
    def connection(self) -> Connection:
        """The session's connection of the current transaction (a new one after a commit)."""
        return db.session.connection()

    def next_id(self, table: str) -> int:
        """First free id of a table; the generator hands out ids from there itself."""
        tbl = db.metadata.tables[table]
        return (self.connection.execute(select(func.max(tbl.c.id))).scalar() or 0) + 1

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        self.counts[table] = self.counts.get(table, 0) + len(rows)
        if self.postgres:
            self._copy(table, columns, rows)
        else:
            self._insert(table, columns, rows)

    def _copy(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        raw = self.connection.connection.driver_connection
        assert isinstance(raw, psycopg.Connection)  # COPY is used on PostgreSQL only
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)

    def _insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        # SQLite stores datetimes as text in SQLAlchemy's format; convert only those columns.
        tbl = db.metadata.tables[table]
        converters = [_sqlite_converter(tbl.c[name].type) for name in columns]
        if any(converters):
            rows = [
                tuple(
                    v if c is None or v is None else c(v)
                    for c, v in zip(converters, row, strict=True)
                )
                for row in rows
            ]
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        for start in range(0, len(rows), BATCH):
            self.connection.exec_driver_sql(sql, rows[start : start + BATCH])

    def reset_sequences(self, tables: Sequence[str]) -> None:
        """PostgreSQL: move each id sequence past the ids written by hand."""
        if not self.postgres:
            return
        for table in tables:
            self.connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
            )


def _sqlite_converter(column_type: Any) -> Any:
    impl = column_type.impl if isinstance(column_type, TypeDecorator) else column_type
    if isinstance(impl, DateTime):
        return _datetime_text
    if isinstance(impl, Date):
        return date.isoformat
    return None


def _datetime_text(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")
