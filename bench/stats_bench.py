"""Time the administrators' dashboard against N synthetic cases (default 1,000,000).

Run from the project root::

    .venv/bin/python bench/stats_bench.py                       # PostgreSQL, 1,000,000 cases
    .venv/bin/python bench/stats_bench.py --db both --cases 100000
    .venv/bin/python bench/stats_bench.py --reuse               # keep the data of a previous run

For each back end the database is made from scratch (PostgreSQL: ``telemed_bench`` dropped
and recreated; SQLite: a file in /tmp), migrated with ``flask_migrate.upgrade()``, given the
demo network and ``flask demo generate``'s data, then analysed (PG: ``VACUUM ANALYZE``).
Timed, each as the median of 5 runs after one warm-up: ``SELECT count(*) FROM cases`` (the
yardstick), and every dashboard view for all time, for the most recent full month, and for
all time filtered by the heaviest state (Ciudad de México) and centre (CMN La Raza), both
the figures alone (``compute_view``) and the whole HTML page through the test client logged
in as the demo administrator. ``--reuse`` skips the rebuild when the database already holds
at least N cases.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate
from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from telemed import create_app
from telemed.auth.models import User
from telemed.cases.models import Case
from telemed.centres.models import Centre
from telemed.core.clock import now_utc
from telemed.demo import DEMO_PASSWORD, load_demo_data
from telemed.extensions import db
from telemed.reports import rollups
from telemed.synthetic.generate import generate

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/telemed_bench"
DEFAULT_SQLITE = "/tmp/telemed_bench.sqlite3"
ADMIN_EMAIL = "admin@demo.telemed.mx"


def median_ms(action: Callable[[], Any], repeat: int) -> float:
    """Median wall time of ``repeat`` runs after one warm-up, in milliseconds."""
    action()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def recreate_pg(url: str) -> None:
    parsed = make_url(url)
    name = parsed.database
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def pg_exists(url: str) -> bool:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        found = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
        ).first()
    admin.dispose()
    return found is not None


def case_count(app: Flask) -> int:
    with app.app_context():
        try:
            return db.session.scalar(select(func.count()).select_from(Case)) or 0
        except Exception:  # no schema yet
            db.session.rollback()
            return 0


def build(app: Flask, cases: int) -> float:
    """Migrate, load the demo, generate; returns the generator's seconds."""
    with app.app_context():
        flask_migrate.upgrade()
        load_demo_data()
        last = [0]

        def progress(step: int) -> None:
            last[0] += step
            print(f"\r  generated {last[0]:>9,} / {cases:,}", end="", flush=True)

        summary = generate(cases, progress=progress)
        print()
        for table, rows in summary.rows.items():
            print(f"  {table:>16}: {rows:>10,}")
        print(f"  generation: {summary.seconds:.1f} s")
        return summary.seconds


def analyse(app: Flask, tables: str = "") -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f"VACUUM ANALYZE {tables}"))
        else:
            with engine.begin() as conn:
                for table in tables.split(", ") if tables else [""]:
                    conn.execute(text(f"ANALYZE {table}"))


def last_full_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def run(label: str, url: str, args: argparse.Namespace) -> list[tuple[str, str, str, float]]:
    print(f"\n== {label}: {url}")
    if label == "PostgreSQL" and not (args.reuse and pg_exists(url)):
        recreate_pg(url)
    if label == "SQLite" and not args.reuse:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    have = case_count(app)
    if args.reuse and have >= args.cases:
        print(f"  reusing {have:,} cases")
        with app.app_context():
            flask_migrate.upgrade()  # a database from an earlier version of the schema
    else:
        if have:
            if label == "PostgreSQL":
                recreate_pg(url)
            else:
                Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
        seconds = build(app, args.cases)
        print(f"  {args.cases:,} cases in {seconds:.1f} s ({args.cases / seconds:,.0f} cases/s)")
    analyse(app)
    with app.app_context():
        began = time.perf_counter()
        rollups.forget_all()
        months = rollups.refresh()
        print(
            f"  {months} monthly roll-ups built from scratch in {time.perf_counter() - began:.1f} s"
        )
        rollups.forget_totals(db.session)
        db.session.commit()
        began = time.perf_counter()
        rollups.refresh()  # the months are built: only their all-time totals are summed
        print(f"  all-time totals summed in {time.perf_counter() - began:.2f} s")
    analyse(app)
    gc.collect()
    gc.freeze()  # as wsgi.py does after start-up
    results: list[tuple[str, str, str, float]] = []
    with app.app_context():
        results.append(("count(*) cases", "-", "sql", median_ms(count_star, args.repeat)))
        results += dashboard(app, args.repeat)
    return results


def count_star() -> None:
    db.session.execute(text("SELECT count(*) FROM cases")).scalar()
    db.session.rollback()


def dashboard(app: Flask, repeat: int) -> list[tuple[str, str, str, float]]:
    try:
        from telemed.reports.service import VIEW_NAMES, compute_view  # type: ignore[import-not-found]
    except ImportError:
        print("  telemed.reports is missing: dashboard views not timed (count(*) only)")
        return []
    admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    first, last = last_full_month(now_utc().date())
    raza = db.session.scalar(select(Centre.id).where(Centre.name.like("%La Raza%")))
    periods = {
        "all": {"period": "all"},
        f"{first:%Y-%m}": {"period": "custom", "from": first.isoformat(), "to": last.isoformat()},
        # The heaviest filters: the state with a third of the cases, and the largest centre.
        "all·CDMX": {"period": "all", "state": "Ciudad de México"},
        "all·Raza": {"period": "all", "centre": str(raza)},
    }
    client = app.test_client()
    response = client.post("/auth/login", data={"email": ADMIN_EMAIL, "password": DEMO_PASSWORD})
    assert response.status_code == 302, "could not log in as the demo administrator"
    results = []
    for view in VIEW_NAMES:
        for period, query in periods.items():

            def figures(view: str = view, query: dict[str, str] = query) -> None:
                compute_view(view, query, admin)
                db.session.rollback()

            def page(view: str = view, query: dict[str, str] = query) -> None:
                reply = client.get(f"/reports/{view}", query_string=query)
                assert reply.status_code == 200, (view, reply.status_code)

            results.append((view, period, "figures", median_ms(figures, repeat)))
            results.append((view, period, "page", median_ms(page, repeat)))
    return results


def report(label: str, results: list[tuple[str, str, str, float]]) -> None:
    base = results[0][3] if results else 0.0
    print(f"\n{label}")
    print(f"| {'view':<16} | {'period':<8} | {'what':<7} | {'ms':>9} | {'× count(*)':>10} |")
    print(f"|{'-' * 18}|{'-' * 10}|{'-' * 9}|{'-' * 11}:|{'-' * 11}:|")
    for view, period, what, ms in results:
        ratio = ms / base if base else 0.0
        print(f"| {view:<16} | {period:<8} | {what:<7} | {ms:>9.1f} | {ratio:>10.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("pg", "sqlite", "both"), default="pg")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--sqlite-path", default=DEFAULT_SQLITE)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep data holding ≥ N cases")
    args = parser.parse_args()
    targets = []
    if args.db in ("pg", "both"):
        targets.append(("PostgreSQL", args.pg_url))
    if args.db in ("sqlite", "both"):
        targets.append(("SQLite", f"sqlite:///{args.sqlite_path}"))
    for label, url in targets:
        report(label, run(label, url, args))


if __name__ == "__main__":
    main()
