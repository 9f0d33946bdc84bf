# ruff: noqa: F811  (fixtures imported from tests.boards are requested by name below)
"""A session ready to be held: the solid-tumour board (chair + a radiologist member), two
cases on the first Thursday's agenda — one from Tijuana (``referring``), one from Cancún
(``other_referring``) — and helpers to open the room at the session's start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from telemed.auth.models import Discipline, Role, User
from telemed.boards.models import Board, BoardMember, MemberRole
from telemed.cases.models import Case
from telemed.core.clock import Clock
from telemed.extensions import db
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import AgendaItem, BoardSession
from tests.conftest import committed
from tests.scenes.boards import (  # noqa: F401  (fixtures for this folder)
    accept,
    accepted,
    board,
    chair,
    emails,
    entry_of,
    make_board,
    send,
    sessions_of,
)


@pytest.fixture
def radiologist(make_user: Callable[..., User], board: Board) -> User:
    """A second member of the board, of another discipline."""
    user = make_user(Role.SPECIALIST, email="radiologa@hospital.test", name="Dra. Radióloga",
                     discipline=Discipline.RADIOLOGY)  # fmt: skip
    db.session.add(BoardMember(board_id=board.id, user_id=user.id, role=MemberRole.MEMBER,
                               discipline=Discipline.RADIOLOGY))  # fmt: skip
    db.session.commit()
    return user


@pytest.fixture
def first(board: Board) -> BoardSession:
    """Thursday 5 March 2026, 18:00 Mexico City (the clock starts on Monday 2 March)."""
    return sessions_of(board)[0]


@pytest.fixture
def own_case(accepted: Callable[..., Case], referring: User) -> Case:
    """A Tijuana case on the first session's agenda (``referring`` sent it)."""
    return accepted()


@pytest.fixture
def foreign_case(make_case: Callable[..., Case], other_referring: User, accept: Any) -> Case:
    """A Cancún case on the same agenda (``other_referring`` sent it)."""
    return accept(make_case(by=other_referring, specialty="solid_tumours", urgency="routine"))


@pytest.fixture
def agenda(board: Board, first: BoardSession, own_case: Case, foreign_case: Case,
           radiologist: User) -> BoardSession:  # fmt: skip
    """Both cases placed on the first session."""
    committed(assign_cases())
    db.session.refresh(first)
    assert {item.case_id for item in first.pending_items} == {own_case.id, foreign_case.id}
    return first


@pytest.fixture
def in_session(agenda: BoardSession, clock: Clock) -> BoardSession:
    """The clock at the session's start (its agenda closed at Tuesday's cut-off)."""
    from telemed.sessions.service import close_due_agendas

    clock.set(agenda.cutoff_at)
    committed(close_due_agendas())
    clock.set(agenda.starts_at)
    return agenda


def item_for(session: BoardSession, case: Case) -> AgendaItem:
    return next(item for item in session.items if item.case_id == case.id)
