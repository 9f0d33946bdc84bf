"""A board's backlog of open agreements, as the demo boards carry one: monthly sessions since
January 2024 (held, minutes final), each leaving agreements due two weeks later that nobody
marked done. Built directly (the services refuse due dates in the past)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from telemed.agreements.models import Agreement
from telemed.auth.models import User
from telemed.boards.models import Board, SessionKind
from telemed.extensions import db
from telemed.sessions.models import BoardSession, SessionStatus
from tests.scenes.boards import MEXICO_CITY

OWNERS = (
    "Patología, HGR No. 1 Tijuana",
    "Radiología, CMN La Raza",
    "Coordinación de telemedicina",
    "Hematología, HGR No. 1 Tijuana",
)


def past_sessions(board: Board, before: date) -> list[BoardSession]:
    """Held sessions on the second Thursday of each month from January 2024 until ``before``
    (numbered from 100: the generated ones start at 1)."""
    sessions = []
    month = date(2024, 1, 1)
    while True:
        day = month + timedelta(days=(3 - month.weekday()) % 7 + 7)  # second Thursday
        if day >= before:
            break
        starts = datetime(day.year, day.month, day.day, 18, 0, tzinfo=MEXICO_CITY)
        session = BoardSession(
            board_id=board.id, number=100 + len(sessions), kind=SessionKind.CASE_REVIEW,
            status=SessionStatus.HELD, starts_at=starts, ends_at=starts + timedelta(minutes=90),
            cutoff_at=starts - timedelta(days=2),
            room_url=f"https://video.telemed.local/pasada-{len(sessions)}",
            minutes_final_at=starts + timedelta(days=1),
        )  # fmt: skip
        db.session.add(session)
        sessions.append(session)
        month = (month + timedelta(days=32)).replace(day=1)
    db.session.flush()
    return sessions


def backlog(board: Board, creator: User, before: date, count: int = 60) -> list[Agreement]:
    """``count`` open agreements spread over the board's monthly sessions before ``before``,
    each due two weeks after its session; owners taken in turn from ``OWNERS``."""
    sessions = past_sessions(board, before)
    agreements = []
    for n in range(count):
        # The last sessions get the remainder, so the latest one leaves a couple due now.
        session = sessions[n * len(sessions) // count]
        day = session.starts_at.astimezone(MEXICO_CITY).date()
        agreement = Agreement(
            board_id=board.id, session_id=session.id,
            text=f"Acuerdo pendiente {n + 1}: enviar el informe solicitado al comité.",
            owner_unit=OWNERS[n % len(OWNERS)], due_date=day + timedelta(days=14),
            created_by_id=creator.id, created_at=session.starts_at,
        )  # fmt: skip
        db.session.add(agreement)
        agreements.append(agreement)
    db.session.commit()
    return agreements
