"""Statements, time and cProfile of single list requests, in-process (no HTTP server):
what ``bench/http_bench.py`` measures under load, taken apart one request at a time.

Run from the project root against a database ``http_bench.py`` filled (its settings come
from ``TELEMED_*``; production-like ones are set here unless given)::

    TELEMED_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/list_profile.py                    # every list, 300 requests each
    .venv/bin/python bench/list_profile.py --profile 25 /cases/   # top 25 of a cProfile
    .venv/bin/python bench/list_profile.py --show-sql /api/v1/cases?per_page=50

Each address is asked as the demo coordinator and the demo referring doctor: API addresses
with a personal token, pages with a logged-in browser (cookie). Printed per address: the
answer's size, the SQL statements of one request, and the mean time of ``--repeat``
requests, with this process's CPU time alone (the Python side, without the database
server's: the steadier figure on a busy machine, where ``wrk`` figures are not).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import secrets
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TELEMED_ENV", "production")
os.environ.setdefault("TELEMED_SECRET_KEY", secrets.token_hex(32))
os.environ.setdefault("TELEMED_BASE_URL", "http://127.0.0.1:8000")
os.environ.setdefault("TELEMED_LOG_LEVEL", "WARNING")
os.environ.setdefault("TELEMED_REQUIRE_2FA_ROLES", "none")

from flask.testing import FlaskClient
from sqlalchemy import event, select

from telemed import create_app
from telemed.auth import tokens
from telemed.auth.models import User
from telemed.core.transaction import unit_of_work
from telemed.extensions import db

PEOPLE = {"coordinator": "coordinador@demo.telemed.mx", "referring": "referente@demo.telemed.mx"}
ADDRESSES = ("/api/v1/cases?per_page=50", "/cases/", "/api/v1/sessions", "/healthz")


def browser(app: Any, email: str) -> FlaskClient:
    client: FlaskClient = app.test_client()
    form = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    data = {"email": email, "password": "demo1234", "csrf_token": token.group(1) if token else ""}
    assert client.post("/auth/login", data=data).status_code == 302, "log in failed"
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("addresses", nargs="*", default=ADDRESSES)
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--profile", type=int, default=0, help="print this many cProfile rows")
    parser.add_argument("--show-sql", action="store_true")
    args = parser.parse_args()

    app = create_app()
    sent: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
        with unit_of_work():
            users = {
                who: db.session.scalar(select(User).where(User.email == email))
                for who, email in PEOPLE.items()
            }
            secrets_ = {who: tokens.create_token(u, "list profile")[1] for who, u in users.items()}
    for who, email in PEOPLE.items():
        api = app.test_client()
        api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secrets_[who]}"
        page = browser(app, email)
        for address in args.addresses:
            client = api if address.startswith("/api/") else page
            first = client.get(address)
            assert first.status_code == 200, (address, first.status_code)
            sent.clear()
            client.get(address)
            statements = list(sent)
            began, cpu = time.perf_counter(), time.process_time()
            for _ in range(args.repeat):
                client.get(address)
            mean = (time.perf_counter() - began) / args.repeat * 1000
            cpu_mean = (time.process_time() - cpu) / args.repeat * 1000
            print(
                f"{who:<12} {address:<28} {len(first.data):>7,} B  {len(statements)} "
                f"statement(s)  {mean:6.2f} ms ({cpu_mean:.2f} ms CPU here)"
            )
            if args.show_sql:
                for statement in statements:
                    print("      ", " ".join(statement.split())[:400])
            if args.profile:
                profile = cProfile.Profile(time.process_time)  # CPU: steadier than wall time
                profile.enable()
                for _ in range(args.repeat):
                    client.get(address)
                profile.disable()
                for order in ("tottime", "cumulative"):
                    out = io.StringIO()
                    pstats.Stats(profile, stream=out).sort_stats(order).print_stats(args.profile)
                    print(out.getvalue())


if __name__ == "__main__":
    main()
