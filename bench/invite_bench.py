"""Time the invitations of one session with N invitees (issue 16).

Run from the project root::

    .venv/bin/python bench/invite_bench.py                        # temporary SQLite file, N = 1,000
    .venv/bin/python bench/invite_bench.py --invitees 200 --repeat 2
    .venv/bin/python bench/invite_bench.py --profile              # cProfile of one run
    .venv/bin/python bench/invite_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

``--database-url`` must name a **scratch** database: it is emptied (``drop_all``/``create_all``).

The data: a training board (a coordinator, a chair, two members) with one session next
month whose audience is everyone, and N active specialists, half reading Spanish and half
English. Timed: ``sync_session_invites()`` for that session, which creates the attendee
rows and renders and queues every invitation (the email in the person's language with its
RSVP links, and the iTIP calendar), as the ``sync_invites`` job does. Each round starts
from no attendees and an empty outbox, and the stored events are forgotten first (a cold
round: the session's VEVENT is built once per language inside the timed call). Afterwards
it checks one queued message per invitee, each with a calendar that parses, and that a
second sync queues nothing. Prints the median, the SQL statements sent and whether the
target (< 1 s for 1,000 invitees) is met.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from icalendar import Calendar
from sqlalchemy import delete, func, insert, select

from bench.assign_bench import make_app
from bench.feed_bench import forget_events
from telemed.auth.models import Discipline, Role, User
from telemed.boards.models import Board, BoardMember, MemberRole, SessionKind
from telemed.extensions import db
from telemed.invites.service import sync_session_invites
from telemed.outbox.models import OutboxMessage
from telemed.sessions.models import BoardSession, SessionAttendee, SessionStatus
from tests.scenes.statements import statements

TARGET_S = 1.0
ZONE = "America/Mexico_City"
STARTS = datetime(2026, 4, 3, 19, 0, tzinfo=UTC)  # first Friday of April, 13:00 local


def prepare(invitees: int) -> int:
    """The training board, its session and ``invitees`` people; returns the session id."""
    db.drop_all()
    db.create_all()  # bench only; real databases are built by migrations
    staff = [
        User(email=f"{name}@bench.test", name=name.title(), role=role, password_hash="x",
             discipline=discipline, locale="es_MX")
        for name, role, discipline in (
            ("coordinadora", Role.COORDINATOR, None),
            ("presidenta", Role.SPECIALIST, Discipline.PAEDIATRIC_ONCOLOGY),
            ("radiologo", Role.SPECIALIST, Discipline.RADIOLOGY),
            ("patologa", Role.SPECIALIST, Discipline.PATHOLOGY),
        )
    ]  # fmt: skip
    db.session.add_all(staff)
    board = Board(
        name="Capacitación continua", kind=SessionKind.TRAINING, coordinator=staff[0],
        timezone=ZONE, rrule="FREQ=MONTHLY;BYDAY=1FR;BYHOUR=13", dtstart=datetime(2026, 1, 1),
        duration_minutes=90, minutes_per_case=10, cutoff_days_before=2,
        cutoff_time=clock_time(23, 59),
        room_url_pattern="https://video.telemed.local/comite-{board}/sesion-{session}",
        quorum_disciplines=[], next_session_number=2, active=True,
    )  # fmt: skip
    board.members = [
        BoardMember(user=staff[1], role=MemberRole.CHAIR),
        BoardMember(user=staff[2], role=MemberRole.MEMBER),
        BoardMember(user=staff[3], role=MemberRole.MEMBER),
    ]
    db.session.add(board)
    db.session.flush()
    session = BoardSession(
        board_id=board.id, number=1, kind=SessionKind.TRAINING, status=SessionStatus.PLANNED,
        starts_at=STARTS, ends_at=STARTS + timedelta(minutes=90), cutoff_at=STARTS,
        room_url="https://video.telemed.local/comite-1/sesion-1",
        topic="Hora Dorada en neutropenia febril", speaker="Dra. Ana Ruiz",
        audience_scope="everyone",
    )  # fmt: skip
    db.session.add(session)
    rows = [
        {"email": f"especialista{i:05d}@bench.test", "name": f"Dr. Especialista {i}",
         "role": Role.SPECIALIST, "password_hash": "x",
         "discipline": Discipline.PAEDIATRIC_ONCOLOGY, "locale": "en" if i % 2 else "es_MX",
         "active": True}
        for i in range(invitees - len(staff))
    ]  # fmt: skip
    db.session.execute(insert(User.__table__), rows)
    db.session.commit()
    return session.id


def reset(session_id: int) -> None:
    """No attendees, no queued email, no stored events: the first sync again."""
    db.session.execute(delete(OutboxMessage))
    db.session.execute(delete(SessionAttendee))
    session = db.session.get(BoardSession, session_id)
    assert session is not None
    session.invites_sequence = session.invites_roster = -1
    db.session.commit()
    forget_events()


def one_round(session_id: int) -> tuple[float, int, int]:
    session = db.session.get(BoardSession, session_id)
    assert session is not None
    with statements() as sent:
        started = time.perf_counter()
        queued = sync_session_invites(session)
        seconds = time.perf_counter() - started
    db.session.commit()
    return seconds, len(sent), queued


def verify(session_id: int, invitees: int) -> None:
    queued = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    if queued != invitees:
        raise SystemExit(f"verification failed: {queued} messages for {invitees} invitees")
    for message in db.session.scalars(select(OutboxMessage).limit(50)):
        assert message.ics is not None
        events = Calendar.from_ical(message.ics).walk("VEVENT")
        assert len(events) == 1 and str(events[0]["UID"]).startswith(f"session-{session_id}@")
    again = one_round(session_id)[2]
    if again:
        raise SystemExit(f"verification failed: a second sync queued {again} messages")


def run(url: str, invitees: int, repeat: int, top: int) -> bool:
    app = make_app(url)
    with app.app_context():
        session_id = prepare(invitees)
        rounds = []
        for _ in range(repeat):
            reset(session_id)
            rounds.append(one_round(session_id))
        seconds = statistics.median(r[0] for r in rounds)
        print(f"invitations, {rounds[-1][2]} queued: median {seconds * 1000:.0f} ms "
              f"(runs {', '.join(f'{r[0] * 1000:.0f}' for r in rounds)} ms), "
              f"{rounds[-1][1]} SQL statements")  # fmt: skip
        verify(session_id, invitees)
        met = seconds < TARGET_S
        print(f"target < {TARGET_S:.0f} s for {invitees} invitees: {'met' if met else 'NOT met'}")
        if top:
            reset(session_id)
            profiler = cProfile.Profile()
            profiler.enable()
            one_round(session_id)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
            print(f"--- profile: one sync (top {top} by own time) ---")
            print(out.getvalue())
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invitees", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", type=int, nargs="?", const=25, default=0, metavar="TOP")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/invite_bench.sqlite3"
        print(f"database: {url.split('@')[-1]}")
        met = run(url, args.invitees, args.repeat, args.profile)
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
