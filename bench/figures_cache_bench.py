"""Repeated reads of the figures (``/api/v1/stats``, the figures page, the coordinator's
dashboard) against a bare Flask route, in one process: SQL statements per request and the
median time of a repeated read and of a conditional one (``If-None-Match``).

Run from the project root::

    .venv/bin/python bench/figures_cache_bench.py                    # SQLite file, 20,000 cases
    .venv/bin/python bench/figures_cache_bench.py --cases 100000 --reuse
    .venv/bin/python bench/figures_cache_bench.py --url postgresql+psycopg://…/scratch
    .venv/bin/python bench/figures_cache_bench.py --profile    # cProfile of repeated reads

The database is built like ``stats_bench.py`` builds it (migrations, the demo network,
``flask demo generate``); ``--url`` names a **scratch** database (dropped and made again
unless ``--reuse`` finds enough cases). The bare route returns 50 rows (≈25 KB) of JSON
from memory, the framework floor the issue measures against; "× bare" is the bare route's
median divided by the request's (1.0: as fast as Flask itself). Statement counts and these
single-thread medians are robust on a busy machine; throughput and p99 under concurrency
are ``wrk``'s job (the HTTP benchmark).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from flask import Flask, jsonify
from flask.testing import FlaskClient
from stats_bench import analyse, build, case_count, median_ms, pg_exists, recreate_pg

from telemed import create_app
from telemed.demo import DEMO_PASSWORD
from telemed.extensions import db
from telemed.reports import rollups
from tests.scenes.statements import statements

ADMIN = "admin@demo.telemed.mx"
COORDINATOR = "coordinador@demo.telemed.mx"
BARE_ROWS = [{"id": i, "code": f"TB-{i:06d}", "title": "x" * 400} for i in range(50)]
REQUESTS = [
    ("bare Flask route (50 rows)", ADMIN, "/bench/bare"),
    ("/api/v1/stats, administrator", ADMIN, "/api/v1/stats"),
    ("/api/v1/stats?period=all, administrator", ADMIN, "/api/v1/stats?period=all"),
    ("/api/v1/stats, coordinator", COORDINATOR, "/api/v1/stats"),
    ("/reports/overview, administrator", ADMIN, "/reports/overview"),
    ("/reports/turnaround?period=all", ADMIN, "/reports/turnaround?period=all"),
    ("/reports/overview, coordinator", COORDINATOR, "/reports/overview"),
    ("/boards/dashboard, coordinator", COORDINATOR, "/boards/dashboard"),
    ("/boards/dashboard, administrator", ADMIN, "/boards/dashboard"),
]


def make_app(url: str) -> Flask:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})

    @app.get("/bench/bare")
    def bare() -> Any:
        return jsonify(BARE_ROWS)

    return app


def prepare(url: str, cases: int, reuse: bool) -> Flask:
    sqlite_path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite") else None
    if sqlite_path is None and not (reuse and pg_exists(url)):
        recreate_pg(url)
    if sqlite_path is not None and not reuse:
        sqlite_path.unlink(missing_ok=True)
    app = make_app(url)
    have = case_count(app)
    if not (reuse and have >= cases):
        if have:
            recreate_pg(url) if sqlite_path is None else sqlite_path.unlink()
            app = make_app(url)
        build(app, cases)
        analyse(app)
    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade()
        rollups.refresh()  # what the refresh_figures job keeps warm
        db.session.commit()
    return app


def login(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    reply = client.post("/auth/login", data={"email": email, "password": DEMO_PASSWORD})
    assert reply.status_code == 302, f"could not log in as {email}"
    return client


def measure(app: Flask, repeat: int, profile: bool) -> list[tuple[str, int, int, float, float]]:
    clients = {email: login(app, email) for email in (ADMIN, COORDINATOR)}
    rows = []
    for label, email, path in REQUESTS:
        client = clients[email]
        with app.app_context(), statements() as first:
            reply = client.get(path)
        assert reply.status_code == 200, (path, reply.status_code)
        with app.app_context(), statements() as again:
            reply = client.get(path)
        etag = reply.headers.get("ETag")
        ms = median_ms(lambda path=path, client=client: client.get(path), repeat)
        conditional = float("nan")
        if etag:
            headers = {"If-None-Match": etag}
            assert client.get(path, headers=headers).status_code == 304, path
            conditional = median_ms(
                lambda path=path, client=client, headers=headers: client.get(path, headers=headers),
                repeat,
            )
        rows.append((label, len(first), len(again), ms, conditional))
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(repeat):
                client.get(path)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
            print(f"\n--- {label}: {repeat} repeated reads, cumulative\n{out.getvalue()}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite:////tmp/telemed_figures_bench.sqlite3")
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--reuse", action="store_true", help="keep a database with ≥ N cases")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    app = prepare(args.url, args.cases, args.reuse)
    gc.collect()
    gc.freeze()  # as wsgi.py does after start-up
    rows = measure(app, args.repeat, args.profile)
    bare = rows[0][3]
    print(f"\n{args.url.split(':', 1)[0]}, {args.cases:,} cases, median of {args.repeat}")
    print(f"{'request':<42} {'SQL 1st':>7} {'SQL again':>9} {'ms':>8} {'× bare':>7} {'304 ms':>7}")
    for label, first, again, ms, conditional in rows:
        print(f"{label:<42} {first:>7} {again:>9} {ms:>8.2f} {bare / ms:>7.2f} "
              f"{conditional:>7.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
