"""The simulator's own application on its own database: a fresh temporary SQLite file by
default, never the live database (the same address is refused, and so is any database
that already holds tables), with email written to files and attachments kept in it."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command as alembic_command
from flask import Flask, current_app
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import make_url

from telemed.core.clock import Clock
from telemed.extensions import db


class RefusedDatabase(Exception):
    """The target database is the live one, or not empty: nothing was written to it."""


def same_database(one: str, other: str) -> bool:
    """Whether two addresses name the same database (SQLite files by their real path)."""
    first, second = make_url(one), make_url(other)
    if first.get_backend_name() == "sqlite" and second.get_backend_name() == "sqlite":
        if not first.database or not second.database or ":memory:" in (
            first.database, second.database,
        ):  # fmt: skip
            return False
        return Path(first.database).resolve() == Path(second.database).resolve()
    keys = ("host", "port", "database")
    return first.get_backend_name() == second.get_backend_name() and all(
        getattr(first, key) == getattr(second, key) for key in keys
    )


def check_empty(url: str) -> None:
    engine = create_engine(url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise RefusedDatabase(f"the database {make_url(url).database} is not empty")


def without_fsync(connection: Any, _record: Any) -> None:
    """A simulation's SQLite file is thrown away: no waiting for the disk at each commit
    (the run was mostly waiting for fsync)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


def migrate_quietly() -> None:
    """The migrations to head without Alembic's INFO lines, and without its ``fileConfig``
    resetting the running application's loggers."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    config = current_app.extensions["migrate"].migrate.get_config()
    config.attributes["configure_logger"] = False
    alembic_command.upgrade(config, "head")


def copy_schema(schema: Path, url: str) -> None:
    """The empty, migrated SQLite file ``schema`` copied to ``url`` (an SQLite file too)."""
    target = make_url(url)
    if target.get_backend_name() != "sqlite" or not target.database:
        raise ValueError("a schema file can only be copied to an SQLite database")
    db.engine.dispose()
    shutil.copyfile(schema, target.database)


@contextmanager
def migrated_schema(live: Flask) -> Iterator[Path]:
    """An empty SQLite file at the migrations' head, for several sandboxes to copy."""
    folder = Path(tempfile.mkdtemp(prefix="telemed-schema-"))
    try:
        with sandbox(live, None) as app, app.app_context():
            source = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
            assert source is not None
            db.engine.dispose()
            shutil.copyfile(source, folder / "schema.sqlite3")
        yield folder / "schema.sqlite3"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def sandbox(live: Flask, database_url: str | None, schema: Path | None = None) -> Iterator[Flask]:
    """The simulation's app (built as ``live`` was, on another database), its schema built
    by the migrations (or copied from ``schema``, an SQLite file they built: a sweep pays
    for them once); the temporary folder (and the default database in it) is removed
    afterwards."""
    live_url = live.config.get("SQLALCHEMY_DATABASE_URI")
    create_app = live.extensions["telemed.factory"]
    workdir = Path(tempfile.mkdtemp(prefix="telemed-sim-"))
    url = database_url or f"sqlite:///{workdir / 'simulation.sqlite3'}"
    try:
        if live_url and (url == live_url or same_database(url, live_url)):
            raise RefusedDatabase("that is the application's own database")
        check_empty(url)
        app: Flask = create_app("development", {
            "SQLALCHEMY_DATABASE_URI": url, "CLOCK": Clock(), "DEBUG": False,
            "LOAD_DEMO_DATA": False, "ATTACHMENT_STORE": "database", "MAIL_TRANSPORT": "file",
            "OUTBOX_DIR": str(workdir / "outbox"), "ITIP_ADDRESS": None, "IMAP_HOST": None,
            "LOG_LEVEL": "WARNING", "SQLALCHEMY_ENGINE_OPTIONS": {},
        })  # fmt: skip
        with app.app_context():
            if db.engine.dialect.name == "sqlite":
                event.listen(db.engine, "connect", without_fsync)
                db.engine.dispose()  # the pooled connections open again without it
            if schema is not None:
                copy_schema(schema, url)
            else:
                migrate_quietly()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
