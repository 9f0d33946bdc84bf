"""Time a private calendar feed of a user invited to N sessions (issue 16).

Run from the project root::

    .venv/bin/python bench/feed_bench.py                          # temporary SQLite file, N = 1,000
    .venv/bin/python bench/feed_bench.py --sessions 200 --repeat 5
    .venv/bin/python bench/feed_bench.py --stored-agenda          # agendas closed (stored JSON)
    .venv/bin/python bench/feed_bench.py --profile                # cProfile, cold and warm
    .venv/bin/python bench/feed_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

``--database-url`` must name a **scratch** database: it is emptied (``drop_all``/``create_all``).

The data: the three weekly case-review boards of ``assign_bench.py`` with 9 cases on each
session (``assign_cases()`` places 9 × N accepted cases, so about N sessions are filled);
one person, member of the three boards, with an active attendee row on every session (the
invite sync has run) and a private feed URL. Timed through the Flask test client (the whole
request: token check, the sessions, the calendar, the headers), each figure the median of
``--repeat`` requests:

- **cold**: the first request after the stored events are forgotten (every session's
  VEVENT built again: a new deploy, or every session changed);
- **warm**: the same feed again (nothing changed, a new DTSTAMP);
- **conditional**: ``If-None-Match`` with the feed's ETag (a calendar client polling),
  answered from the tag remembered while the calendars' version stands (``feed_tags``);
  and the same with nothing remembered (the first poll after a change, another server).

It prints the SQL statements of each kind of request and whether the targets are met
(feed < 100 ms, conditional GET < 5 ms).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import insert, select, update

from bench.assign_bench import fill, make_app
from telemed.auth.models import User
from telemed.boards.models import Board, BoardMember, MemberRole
from telemed.extensions import db
from telemed.invites import feed_tags, feeds
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import (
    AttendeeRole,
    BoardSession,
    PartStat,
    SessionAttendee,
)
from telemed.sessions.order_of_business import order_of_business
from tests.scenes.statements import statements

CASES_PER_SESSION = 9
FEED_TARGET_MS = 100.0
CONDITIONAL_TARGET_MS = 5.0


def prepare(sessions: int, stored_agenda: bool) -> tuple[str, int]:
    """The boards, ~``sessions`` filled sessions, and a member invited to all of them;
    returns the feed's path and how many sessions it lists."""
    fill(sessions * CASES_PER_SESSION, random.Random(1))
    assign_cases()
    db.session.commit()
    person = db.session.scalar(select(User).where(User.email == "coordinador@bench.test"))
    assert person is not None
    person.locale = "es_MX"
    for board in db.session.scalars(select(Board)):
        db.session.add(BoardMember(board_id=board.id, user_id=person.id, role=MemberRole.MEMBER))
    ids = list(db.session.scalars(select(BoardSession.id).order_by(BoardSession.id)))
    rows = [
        {"session_id": session_id, "user_id": person.id, "role": AttendeeRole.REQUIRED,
         "reason": "member", "partstat": PartStat.ACCEPTED, "active": True, "sent_sequence": 0}
        for session_id in ids
    ]  # fmt: skip
    db.session.execute(insert(SessionAttendee.__table__), rows)
    db.session.execute(
        update(BoardSession).values(
            invites_sequence=BoardSession.sequence, invites_roster=BoardSession.roster_version
        )
    )
    if stored_agenda:  # what close_due_agendas leaves: the order of business as JSON
        for board_session in db.session.scalars(select(BoardSession)):
            board_session.order_of_business = order_of_business(board_session)
    token = feeds.regenerate(person)
    db.session.commit()
    listed = len(feeds.user_stamps(person))
    db.session.remove()
    return f"/feeds/{token}.ics", listed


def forget_events() -> None:
    """Forget every stored VEVENT (when this code has them), so the next feed is cold."""
    try:
        from telemed.invites.models import CalendarEvent  # type: ignore[attr-defined]
    except ImportError:
        return
    db.session.execute(CalendarEvent.__table__.delete())
    db.session.commit()
    db.session.remove()


def timed(client: FlaskClient, path: str, **kwargs: Any) -> tuple[float, int, Any]:
    with statements() as sent:
        started = time.perf_counter()
        response = client.get(path, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, len(sent), response


def median_of(repeat: int, measure: Callable[[], tuple[float, int, Any]]) -> tuple[float, int]:
    runs = [measure() for _ in range(repeat)]
    return statistics.median(ms for ms, _n, _r in runs), runs[-1][1]


def profile(label: str, call: Callable[[], Any], top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    print(f"--- profile: {label} (top {top} by own time) ---")
    print(out.getvalue())


def run(url: str, sessions: int, repeat: int, stored_agenda: bool, top: int) -> bool:
    app = make_app(url)
    with app.app_context():
        started = time.perf_counter()
        path, listed = prepare(sessions, stored_agenda)
        print(
            f"data: {listed} sessions in the feed ({time.perf_counter() - started:.1f} s to build)"
        )
        client = app.test_client()

        def cold() -> tuple[float, int, Any]:
            forget_events()
            return timed(client, path)

        cold_ms, cold_sql = median_of(repeat, cold)
        first = client.get(path)
        assert first.status_code == 200, first.status_code
        events = Calendar.from_ical(first.data).walk("VEVENT")
        assert len(events) == listed, (len(events), listed)
        warm_ms, warm_sql = median_of(repeat, lambda: timed(client, path))
        tag = first.headers["ETag"]
        conditional = timed(client, path, headers={"If-None-Match": tag})
        if conditional[2].status_code != 304:
            print(f"conditional GET answered {conditional[2].status_code}, not 304")
        cond_ms, cond_sql = median_of(
            max(repeat, 20), lambda: timed(client, path, headers={"If-None-Match": tag})
        )
        print(f"feed, cold (every VEVENT built): {cold_ms:8.1f} ms  {cold_sql:5d} SQL statements")
        print(f"feed, warm (nothing changed):    {warm_ms:8.1f} ms  {warm_sql:5d} SQL statements")

        def worked_out() -> tuple[float, int, Any]:
            feed_tags.known.clear()  # the first poll after a change, or on another server
            return timed(client, path, headers={"If-None-Match": tag})

        fresh_ms, fresh_sql = median_of(max(repeat, 20), worked_out)
        print(f"conditional GET (ETag matches):  {cond_ms:8.1f} ms  {cond_sql:5d} SQL statements"
              f"  -> {conditional[2].status_code}")  # fmt: skip
        print(f"  the same, tag not remembered:  {fresh_ms:8.1f} ms  {fresh_sql:5d} SQL statements")
        floor_ms, _n = median_of(max(repeat, 20), lambda: timed(client, "/healthz"))
        print(
            f"floor, GET /healthz (same app): {floor_ms:8.1f} ms  (the machine's load, for scale)"
        )
        print(f"feed size: {len(first.data) / 1024:.0f} KiB")
        feed_ok = warm_ms < FEED_TARGET_MS
        cond_ok = cond_ms < CONDITIONAL_TARGET_MS and conditional[2].status_code == 304
        print(f"target feed < {FEED_TARGET_MS:.0f} ms (warm): {'met' if feed_ok else 'NOT met'}"
              f"; cold {'under' if cold_ms < FEED_TARGET_MS else 'over'} it")  # fmt: skip
        print(f"target conditional GET < {CONDITIONAL_TARGET_MS:.0f} ms: "
              f"{'met' if cond_ok else 'NOT met'}")  # fmt: skip
        if top:
            profile("cold feed", cold, top)
            profile("warm feed", lambda: client.get(path), top)
            profile(
                "conditional GET", lambda: client.get(path, headers={"If-None-Match": tag}),
                top,
            )  # fmt: skip
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return feed_ok and cond_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--stored-agenda", action="store_true")
    parser.add_argument("--profile", type=int, nargs="?", const=25, default=0, metavar="TOP")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/feed_bench.sqlite3"
        print(f"database: {url.split('@')[-1]}")
        met = run(url, args.sessions, args.repeat, args.stored_agenda, args.profile)
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
