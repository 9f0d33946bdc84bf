"""Real concurrency: an app whose threads use separate connections to one database
(PostgreSQL, or a SQLite file), work started together at a barrier, and a board to race on."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from telemed import create_app
from telemed.auth.models import Role, User
from telemed.boards.models import Board, BoardSpecialty, SessionKind
from telemed.cases import service as case_service
from telemed.core.vocabulary import Specialty
from telemed.extensions import db
from telemed.sessions.service import generate_sessions
from tests.conftest import case_payload


@pytest.fixture(params=["postgresql", "sqlite-file"])
def shared_app(request: pytest.FixtureRequest, app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """An app whose threads really use separate connections to one database."""
    if request.param == "postgresql":
        if not os.environ.get("TELEMED_TEST_DATABASE_URL"):
            pytest.skip("set TELEMED_TEST_DATABASE_URL to run the PostgreSQL variant")
        yield app
        return
    if os.environ.get("TELEMED_TEST_DATABASE_URL"):
        pytest.skip("the SQLite variant runs in the SQLite test run")
    other = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
            "CLOCK": app.extensions["telemed.clock"],
        },
    )
    with other.app_context():
        db.create_all()
        yield other
        db.session.remove()
        db.engine.dispose()


def together(app: Flask, *work: Callable[[threading.Barrier], Any]) -> list[Any]:
    """Run each callable in its own thread and app context; they meet at a barrier first.

    Returns each result, or the exception it raised.
    """
    barrier = threading.Barrier(len(work), timeout=30)
    results: list[Any] = [None] * len(work)

    def run(index: int, job: Callable[[threading.Barrier], Any]) -> None:
        with app.app_context():
            try:
                results[index] = job(barrier)
            except Exception as err:  # reported to the test, never lost in the thread
                db.session.rollback()
                results[index] = err

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def setup_board(make_user: Callable[..., User], make_centre: Callable[..., Any]) -> dict:
    centre = make_centre(timezone="America/Tijuana")
    doctor = make_user(Role.REFERRING, centre_id=centre.id)
    coordinator = make_user(Role.COORDINATOR)
    board = Board(
        name="Comité de tumores sólidos", kind=SessionKind.CASE_REVIEW, coordinator=coordinator,
        timezone="America/Mexico_City", rrule="FREQ=WEEKLY;BYDAY=TH;BYHOUR=18;BYMINUTE=0",
        dtstart=datetime(2026, 1, 1, 18, 0), duration_minutes=90, minutes_per_case=10,
        cutoff_days_before=2, cutoff_time=time(23, 59),
        room_url_pattern="https://video.telemed.local/{board}/{session}", quorum_disciplines=[],
        next_session_number=1, active=True,
        specialties=[BoardSpecialty(specialty=Specialty.SOLID_TUMOURS)],
    )  # fmt: skip
    db.session.add(board)
    db.session.commit()
    generate_sessions()
    db.session.commit()
    return {"doctor": doctor, "coordinator": coordinator, "board": board}


def accept_new(doctor: User, coordinator: User, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        case = case_service.create_case(
            doctor, case_payload(specialty="solid_tumours", urgency="routine"), submit=True
        )
        case_service.transition(coordinator, case, "accept")
        ids.append(case.id)
    db.session.commit()
    return ids
