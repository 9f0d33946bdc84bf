"""Time ``assign_cases()`` on N accepted cases and the sessions that hold them.

Run from the project root::

    .venv/bin/python bench/assign_bench.py                     # temporary SQLite file
    .venv/bin/python bench/assign_bench.py --sizes 10000 100000
    .venv/bin/python bench/assign_bench.py --database-url postgresql+psycopg://.../bench_db

For every size the database is emptied (``drop_all``/``create_all``: point
``--database-url`` at a scratch database only), filled with three case-review boards
(the demo's specialty groups, weekly, 90 minutes at 10 minutes per case: 9 cases a
session), enough future sessions to hold every case, and N accepted cases inserted
with SQLAlchemy Core ``executemany``. Only the ``assign_cases()`` call is timed.
Afterwards the result is checked: every case placed exactly once, no session over
its capacity, ``booked`` equal to the real number of entries.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import pstats
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from telemed import create_app
from telemed.auth.models import Role, User
from telemed.boards.models import Board, BoardSpecialty, SessionKind
from telemed.boards.recurrence import cutoff_for, occurrences, room_url, to_utc
from telemed.cases.models import Case, CaseStatus, Sex, Urgency
from telemed.centres.models import Centre, CentreKind
from telemed.core.clock import Clock
from telemed.core.vocabulary import RequestKind, Specialty
from telemed.extensions import db
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import (
    AgendaItem,
    BoardSession,
    ItemOutcome,
    SchedulingFlag,
    SessionStatus,
)

NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # Monday 11:00 in Mexico City
ZONE = "America/Mexico_City"
DURATION, MINUTES_PER_CASE = 90, 10  # 9 cases a session, as in the demo boards

BOARDS: tuple[tuple[str, tuple[Specialty, ...], str], ...] = (
    ("Comité de tumores sólidos",
     (Specialty.SOLID_TUMOURS, Specialty.CNS_TUMOURS, Specialty.BONE_SOFT_TISSUE,
      Specialty.PALLIATIVE_CARE), "FREQ=WEEKLY;BYDAY=TH;BYHOUR=18;BYMINUTE=0"),
    ("Comité de leucemias y linfomas", (Specialty.LEUKAEMIA_LYMPHOMA,),
     "FREQ=WEEKLY;BYDAY=TU;BYHOUR=18;BYMINUTE=0"),
    ("Comité de trasplante", (Specialty.TRANSPLANT,),
     "FREQ=WEEKLY;BYDAY=WE;BYHOUR=17;BYMINUTE=0"),
)  # fmt: skip
SPECIALTY_WEIGHTS = {
    Specialty.LEUKAEMIA_LYMPHOMA: 35, Specialty.SOLID_TUMOURS: 25, Specialty.CNS_TUMOURS: 12,
    Specialty.BONE_SOFT_TISSUE: 10, Specialty.TRANSPLANT: 10, Specialty.PALLIATIVE_CARE: 8,
}  # fmt: skip
URGENCY_WEIGHTS = {Urgency.URGENT: 10, Urgency.PRIORITY: 25, Urgency.ROUTINE: 65}
DEADLINE_SHARE = 0.20  # cases with a clinical deadline, 1 to 52 weeks ahead
CARRY_OVER_SHARE = 0.03  # cases a previous session did not reach
CHUNK = 10_000


@dataclass
class Result:
    n: int
    fill_seconds: float
    seconds: float
    placed: int
    flagged: int
    sessions: int
    cpu: float = 0.0  # process time: steadier than wall time on a busy machine


def make_app(url: str) -> Any:
    clock = Clock()
    clock.set(NOW)
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "CLOCK": clock})


def fill(n: int, rng: random.Random, notify: bool = True) -> int:
    """Boards, their sessions and ``n`` accepted cases; returns the number of sessions."""
    db.drop_all()
    db.create_all()  # bench only; real databases are built by migrations
    centre = Centre(code="BENCH", name="Centro de prueba", kind=CentreKind.ONCOCREAN,
                    state="Jalisco", city="Guadalajara", timezone=ZONE)  # fmt: skip
    db.session.add(centre)
    db.session.flush()
    doctor = User(email="referente@bench.test", name="Dr. Referente", role=Role.REFERRING,
                  password_hash="x", centre_id=centre.id)  # fmt: skip
    coordinator = User(email="coordinador@bench.test", name="Dra. Coordinadora",
                       role=Role.COORDINATOR, password_hash="x")  # fmt: skip
    db.session.add_all([doctor, coordinator])
    boards: dict[Specialty, Board] = {}
    for name, specialties, rule in BOARDS:
        board = Board(
            name=name, kind=SessionKind.CASE_REVIEW, coordinator=coordinator if notify else None,
            timezone=ZONE,
            rrule=rule, dtstart=datetime(2026, 1, 1), duration_minutes=DURATION,
            minutes_per_case=MINUTES_PER_CASE, cutoff_days_before=2,
            cutoff_time=clock_time(23, 59),
            room_url_pattern="https://video.telemed.local/comite-{board}/sesion-{session}",
            quorum_disciplines=[], next_session_number=1, active=True,
        )  # fmt: skip
        board.specialties = [BoardSpecialty(specialty=s) for s in specialties]
        db.session.add(board)
        boards.update(dict.fromkeys(specialties, board))
    db.session.commit()
    doctor_id, centre_id = doctor.id, centre.id

    specialties = rng.choices(list(SPECIALTY_WEIGHTS), list(SPECIALTY_WEIGHTS.values()), k=n)
    urgencies = rng.choices(list(URGENCY_WEIGHTS), list(URGENCY_WEIGHTS.values()), k=n)
    per_board = Counter(boards[s].id for s in specialties)
    sessions = sum(
        insert_sessions(board, per_board[board.id]) for board in dict.fromkeys(boards.values())
    )

    table = Case.__table__
    rows: list[dict[str, Any]] = []
    for i in range(n):
        submitted = NOW - timedelta(minutes=rng.randrange(1, 60 * 24 * 60))
        deadline = None
        if rng.random() < DEADLINE_SHARE:
            deadline = (NOW + timedelta(days=rng.randrange(7, 365))).date()
        urgent = urgencies[i] is Urgency.URGENT
        rows.append({
            "centre_id": centre_id, "submitted_by_id": doctor_id, "status": CaseStatus.ACCEPTED,
            "patient_reference": f"BENCH-{i:07d}", "age_years": rng.randrange(0, 18),
            "age_months": 0, "sex": rng.choice((Sex.FEMALE, Sex.MALE)), "icd10_code": "C91.0",
            "diagnosis_text": "Caso de prueba", "question": "¿Cuál es el mejor tratamiento?",
            "request_kind": RequestKind.TREATMENT_PLAN, "urgency": urgencies[i],
            "urgency_justification": "Progresión rápida" if urgent else None,
            "clinical_deadline": deadline, "high_complexity": False,
            "specialty": specialties[i],
            "carry_over": 1 if rng.random() < CARRY_OVER_SHARE else 0,
            "scheduling_hold": False, "created_at": submitted, "submitted_at": submitted,
            "updated_at": submitted,
        })  # fmt: skip
        if len(rows) == CHUNK:
            db.session.execute(insert(table), rows)
            rows = []
    if rows:
        db.session.execute(insert(table), rows)
    db.session.commit()
    return sessions


def insert_sessions(board: Board, cases: int) -> int:
    """Weekly sessions from the board's rule, enough (plus two) to hold ``cases``."""
    capacity = board.case_capacity
    needed = math.ceil(cases / capacity) + 2
    rows = []
    weeks = needed + 4
    zone = ZoneInfo(board.timezone)
    for local in occurrences(board, NOW, NOW + timedelta(weeks=weeks)):
        starts_at = to_utc(local, zone)
        cutoff_at = cutoff_for(board, starts_at)
        if cutoff_at <= NOW:
            continue
        number = len(rows) + 1
        rows.append({
            "board_id": board.id, "number": number, "kind": SessionKind.CASE_REVIEW,
            "status": SessionStatus.PLANNED, "occurrence_key": local.isoformat(timespec="minutes"),
            "extraordinary": False, "starts_at": starts_at,
            "ends_at": starts_at + timedelta(minutes=board.duration_minutes),
            "cutoff_at": cutoff_at, "capacity": capacity, "booked": 0,
            "room_url": room_url(board, number), "sequence": 0, "created_at": NOW,
        })  # fmt: skip
        if len(rows) == needed:
            break
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(BoardSession.__table__), rows[start : start + CHUNK])
    board.next_session_number = len(rows) + 1
    return len(rows)


def verify(n: int, placed: int) -> None:
    """Every case placed once, no session over capacity, ``booked`` telling the truth."""
    pending = AgendaItem.outcome == ItemOutcome.PENDING
    entries = db.session.scalar(select(func.count()).select_from(AgendaItem).where(pending))
    doubled = db.session.scalar(
        select(func.count()).select_from(
            select(AgendaItem.case_id).where(pending).group_by(AgendaItem.case_id)
            .having(func.count() > 1).subquery()
        )
    )  # fmt: skip
    per_session = (
        select(AgendaItem.session_id, func.count().label("entries"))
        .where(pending)
        .group_by(AgendaItem.session_id)
        .subquery()
    )
    over = db.session.scalar(
        select(func.count())
        .select_from(BoardSession)
        .join(per_session, per_session.c.session_id == BoardSession.id)
        .where(
            (per_session.c.entries > BoardSession.capacity)
            | (per_session.c.entries != BoardSession.booked)
        )
    )
    scheduled = db.session.scalar(
        select(func.count()).select_from(Case).where(Case.status == CaseStatus.SCHEDULED)
    )
    problems = []
    if not placed == entries == scheduled == n:
        problems.append(f"placed {placed}, entries {entries}, scheduled {scheduled}, N {n}")
    if doubled:
        problems.append(f"{doubled} cases with two pending entries")
    if over:
        problems.append(f"{over} sessions over capacity or with a wrong booked count")
    if problems:
        raise SystemExit("verification failed: " + "; ".join(problems))


def run(url: str, n: int, seed: int, profile: bool, notify: bool) -> Result:
    app = make_app(url)
    with app.app_context():
        started = time.perf_counter()
        sessions = fill(n, random.Random(seed), notify)
        fill_seconds = time.perf_counter() - started
        db.session.remove()
        profiler = cProfile.Profile() if profile else None
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        report = assign_cases()
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        verify(n, report.placed)
        flags = db.session.scalar(select(func.count()).select_from(SchedulingFlag))
        if profiler:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(30)
            stats.sort_stats("tottime").print_stats(20)
            print(out.getvalue())
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return Result(n, fill_seconds, seconds, report.placed, flags or 0, sessions, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="scratch database (emptied!); default SQLite")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", action="store_true", help="cProfile the assignment")
    parser.add_argument(
        "--no-notices",
        action="store_true",
        help="boards without a coordinator: flags are raised but no email is queued",
    )
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory(prefix="telemed-bench-") as tmp:
        for n in args.sizes:
            url = args.database_url or f"sqlite:///{Path(tmp) / f'bench-{n}.sqlite3'}"
            results.append(run(url, n, args.seed, args.profile, not args.no_notices))
            r = results[-1]
            print(f"N={r.n:>7,}  fill {r.fill_seconds:6.2f} s  assign {r.seconds:6.2f} s  "
                  f"{r.n / r.seconds:>9,.0f} cases/s  cpu {r.cpu:6.2f} s  sessions {r.sessions:,}  "
                  f"flags {r.flagged:,}  verified", flush=True)  # fmt: skip

    backend = (args.database_url or "sqlite").split(":", 1)[0]
    print(f"\nassign_cases() on {backend}, 3 boards, {DURATION // MINUTES_PER_CASE} cases/session")
    print(f"{'N':>9} {'seconds':>9} {'cpu s':>9} {'cases/s':>10}")
    for r in results:
        print(f"{r.n:>9,} {r.seconds:>9.3f} {r.cpu:>9.3f} {r.n / r.seconds:>10,.0f}")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        k = large.n / small.n
        nlogn = (large.n * math.log(large.n)) / (small.n * math.log(small.n))
        print(f"ratio t({large.n:,})/t({small.n:,}) = {large.seconds / small.seconds:.2f} "
              f"(cpu {large.cpu / small.cpu:.2f})  "
              f"(N log N: {nlogn:.2f}, linear: {k:.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
