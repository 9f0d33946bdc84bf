"""Fixtures for boards and scheduling: a board shaped like the demo (weekly, Thursday 18:00
Mexico City, 90 minutes, 10 minutes per case, agenda closing Tuesday 23:59) built directly,
and helpers to send, accept and look up cases without the web UI."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from telemed.auth.models import Discipline, Role, User
from telemed.boards.models import Board, BoardMember, BoardSpecialty, MemberRole, SessionKind
from telemed.cases import service as case_service
from telemed.cases.models import Case, CaseEvent
from telemed.core.vocabulary import Specialty
from telemed.extensions import db
from telemed.outbox.models import OutboxMessage
from telemed.sessions.agenda import place_by_hand
from telemed.sessions.models import AgendaItem, BoardSession, ItemOutcome
from telemed.sessions.service import generate_sessions
from tests.conftest import committed

WEEKLY_THURSDAY_18 = "FREQ=WEEKLY;BYDAY=TH;BYHOUR=18;BYMINUTE=0"
FIRST_THURSDAY_2026 = datetime(2026, 1, 1, 18, 0)  # naive: board-local wall time
MEXICO_CITY = ZoneInfo("America/Mexico_City")
TIJUANA = ZoneInfo("America/Tijuana")
PATIENT_REFERENCE = "NSS-4455667788"  # what case_payload() sends; must never be emailed

_names = itertools.count(1)


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, zone: ZoneInfo = MEXICO_CITY
) -> datetime:
    """An aware UTC instant from a wall-clock time in ``zone`` (Mexico City by default)."""
    return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def make_board(coordinator: User) -> Callable[..., Board]:
    """A case-review board built directly; tests override what they exercise."""

    def factory(
        specialties: Iterable[Specialty] = (Specialty.SOLID_TUMOURS,),
        members: Iterable[tuple[User, MemberRole]] = (),
        **overrides: Any,
    ) -> Board:
        values: dict[str, Any] = {
            "name": f"Comité de prueba {next(_names)}",
            "kind": SessionKind.CASE_REVIEW,
            "coordinator": coordinator,
            "timezone": "America/Mexico_City",
            "rrule": WEEKLY_THURSDAY_18,
            "dtstart": FIRST_THURSDAY_2026,
            "duration_minutes": 90,
            "minutes_per_case": 10,
            "cutoff_days_before": 2,
            "cutoff_time": time(23, 59),
            "room_url_pattern": "https://video.telemed.local/comite-{board}/sesion-{session}",
            "quorum_disciplines": [Discipline.PAEDIATRIC_ONCOLOGY.value],
            "next_session_number": 1,
            "active": True,
        }
        values.update(overrides)
        board = Board(**values)
        board.specialties = [BoardSpecialty(specialty=s) for s in specialties]
        board.members = [
            BoardMember(user=user, role=role, discipline=user.discipline) for user, role in members
        ]
        db.session.add(board)
        db.session.commit()
        return board

    return factory


@pytest.fixture
def chair(make_user: Callable[..., User]) -> User:
    return make_user(Role.SPECIALIST, email="presidente@hospital.test")


@pytest.fixture
def board(make_board: Callable[..., Board], chair: User) -> Board:
    """The solid-tumour board with its chair, and 8 weeks of sessions from Monday 2 March."""
    made = make_board(members=[(chair, MemberRole.CHAIR)])
    return committed(made, generate_sessions())


@pytest.fixture
def send(make_case: Callable[..., Case]) -> Callable[..., Case]:
    """A submitted case for the solid-tumour board (routine unless told otherwise)."""

    def factory(**overrides: Any) -> Case:
        values: dict[str, Any] = {"specialty": "solid_tumours", "urgency": "routine"}
        if overrides.get("urgency") == "urgent":
            values["urgency_justification"] = "Compresión medular en evolución."
        values.update(overrides)
        return make_case(**values)

    return factory


@pytest.fixture
def accept(coordinator: User) -> Callable[[Case], Case]:
    return lambda case: committed(case_service.transition(coordinator, case, "accept"))


@pytest.fixture
def accepted(send: Callable[..., Case], accept: Callable[[Case], Case]) -> Callable[..., Case]:
    """A case sent and accepted at the clock's current time."""
    return lambda **overrides: accept(send(**overrides))


def sessions_of(board: Board) -> list[BoardSession]:
    return list(
        db.session.scalars(
            select(BoardSession)
            .where(BoardSession.board_id == board.id)
            .order_by(BoardSession.starts_at, BoardSession.id)
        )
    )


def pending_entries(case: Case) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            select(AgendaItem).where(
                AgendaItem.case_id == case.id, AgendaItem.outcome == ItemOutcome.PENDING
            )
        )
    )


def entry_of(case: Case) -> AgendaItem | None:
    """The case's one pending agenda entry, or None."""
    entries = pending_entries(case)
    assert len(entries) <= 1, f"{case!r} is on {len(entries)} agendas"
    return entries[0] if entries else None


def session_of(case: Case) -> BoardSession | None:
    entry = entry_of(case)
    return entry.session if entry is not None else None


def agenda_ids(session: BoardSession) -> list[int]:
    """Case ids of the session's pending entries in the order of business."""
    return list(
        db.session.scalars(
            select(AgendaItem.case_id)
            .where(AgendaItem.session_id == session.id, AgendaItem.outcome == ItemOutcome.PENDING)
            .order_by(AgendaItem.position)
        )
    )


def events_of(case: Case, kind: str) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)
            .order_by(CaseEvent.id)
        )
    )


def emails(kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def check_agenda_invariants() -> None:
    """No case on two agendas, no session over capacity, ``booked`` equal to its entries."""
    db.session.expire_all()
    doubled = db.session.execute(
        select(AgendaItem.case_id, func.count())
        .where(AgendaItem.outcome == ItemOutcome.PENDING)
        .group_by(AgendaItem.case_id)
        .having(func.count() > 1)
    ).all()
    assert doubled == []
    counts = dict(
        db.session.execute(
            select(AgendaItem.session_id, func.count())
            .where(AgendaItem.outcome == ItemOutcome.PENDING)
            .group_by(AgendaItem.session_id)
        ).all()
    )
    for session in db.session.scalars(select(BoardSession)):
        assert session.booked <= session.capacity, session.number
        assert session.booked == counts.get(session.id, 0), session.number


def fill(session: BoardSession, accepted: Callable[..., Case], coordinator: User) -> list[Case]:
    """Put cases on ``session`` by hand until it is full."""
    cases = []
    for _ in range(session.room_free):
        case = accepted()
        place_by_hand(coordinator, case, session)
        cases.append(case)
    return cases
