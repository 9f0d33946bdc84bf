"""Runs drawn from a seed: the same seed gives the same report; the live database is never
touched, and a database that is not empty (or is the live one) is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from telemed.cases.models import Case
from telemed.centres.models import Centre
from telemed.extensions import db
from telemed.simulation.model import Parameters
from tests.simulation.conftest import simulated

SHORT = Parameters(seed=7, start=Parameters().start, days=6, cases_per_year=900)


def test_the_same_seed_gives_the_same_report(app: Flask) -> None:
    with simulated(app, SHORT) as (_sim, first):
        pass
    with simulated(app, SHORT) as (_sim, second):
        pass
    assert first.arrivals > 5
    assert first.comparable() == second.comparable()
    with simulated(app, SHORT.with_values(seed=8)) as (_sim, other):
        pass
    assert other.comparable() != first.comparable()


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
        for table in db.metadata.sorted_tables
    }


def test_flask_simulate_leaves_the_live_database_as_it_was(
    app: Flask,
    referring,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    before = row_counts()
    assert before["cases"] == 0 and before["centres"] == 1
    csv_path, html_path = tmp_path / "year.csv", tmp_path / "year.html"
    result = app.test_cli_runner().invoke(args=[
        "simulate", "--days", "4", "--cases-per-year", "900", "--csv", str(csv_path),
        "--html", str(html_path),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Urgent cases discussed within 72 h of submission" in result.output
    assert row_counts() == before
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    assert db.session.scalar(select(Centre.code)) == "OC-BC-TIJ"
    assert "network,network,submitted," in csv_path.read_text()
    page = html_path.read_text()
    assert "<svg" in page and "<script" not in page and "style=" not in page


def test_a_database_that_is_not_empty_or_is_the_live_one_is_refused(
    app: Flask, tmp_path: Path
) -> None:
    used = tmp_path / "used.sqlite3"
    with sqlite3.connect(used) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER)")
    runner = app.test_cli_runner()
    for url in (f"sqlite:///{used}", app.config["SQLALCHEMY_DATABASE_URI"]):
        result = runner.invoke(args=["simulate", "--days", "1", "--database-url", url])
        assert result.exit_code == 2, result.output
        assert "Refused" in result.output
    with sqlite3.connect(used) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    assert tables == [("notes",)]
