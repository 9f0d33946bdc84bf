"""Several workers and a coordinator at the same moment never put a case on two agendas
or a session over its capacity.

Each thread has its own application context, so its own database session and connection.
On PostgreSQL this uses the test database (``TELEMED_TEST_DATABASE_URL``). The default
SQLite test database is in memory, which SQLAlchemy serves from one shared connection: threads
would interleave their statements inside one transaction, which proves nothing, so the SQLite
variant uses a database file of its own (WAL, busy timeout), as a real deployment would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from telemed.auth.models import User
from telemed.cases.models import Case, CaseEvent, CaseStatus
from telemed.core.errors import InvalidTransition
from telemed.core.transaction import unit_of_work
from telemed.extensions import db
from telemed.jobs import lease
from telemed.sessions.agenda import place_by_hand
from telemed.sessions.assignment import AssignmentReport, assign_cases
from telemed.sessions.models import AgendaItem, BoardSession, ItemOutcome
from telemed.sessions.service import generate_sessions
from tests.scenes.boards import check_agenda_invariants, sessions_of
from tests.scenes.concurrency import accept_new, setup_board, together

ROUNDS = 4
PER_ROUND = 12


def assign(barrier: threading.Barrier) -> AssignmentReport:
    barrier.wait()
    with unit_of_work():  # as the scheduler's job runs it
        return assign_cases()


def hand(coordinator_id: int, case_id: int, session_id: int) -> Callable[[threading.Barrier], Any]:
    def job(barrier: threading.Barrier) -> Any:
        actor = db.session.get(User, coordinator_id)
        case = db.session.get(Case, case_id)
        session = db.session.get(BoardSession, session_id)
        barrier.wait()
        try:
            with unit_of_work():  # as the coordinator's request does
                return place_by_hand(actor, case, session).session_id
        except InvalidTransition as err:  # full, or placed meanwhile: a fair answer
            return err

    return job


def test_two_assignment_runs_and_a_hand_placement_at_once(shared_app, make_user, make_centre):
    with shared_app.app_context():
        people = setup_board(make_user, make_centre)
        coordinator, board = people["coordinator"], people["board"]
        all_ids: list[int] = []
        for _round in range(ROUNDS):
            ids = accept_new(people["doctor"], coordinator, PER_ROUND)
            all_ids += ids
            target = next(s for s in sessions_of(board) if s.room_free)
            results = together(shared_app, assign, assign, hand(coordinator.id, ids[-1], target.id))
            for result in results[:2]:
                assert isinstance(result, AssignmentReport), result
            assert results[2] == target.id or isinstance(results[2], InvalidTransition)

            check_agenda_invariants()
            placed = db.session.scalar(
                select(func.count(AgendaItem.id)).where(
                    AgendaItem.case_id.in_(all_ids), AgendaItem.outcome == ItemOutcome.PENDING
                )
            )
            assert placed == len(all_ids)  # none lost
            statuses = set(db.session.scalars(select(Case.status).where(Case.id.in_(all_ids))))
            assert statuses == {CaseStatus.SCHEDULED}
        # Every case was scheduled once by assignment, or by hand (possibly after it).
        scheduled_events = dict(
            db.session.execute(
                select(CaseEvent.case_id, func.count())
                .where(CaseEvent.kind == "scheduled")
                .group_by(CaseEvent.case_id)
            ).all()
        )
        assert all(1 <= scheduled_events[i] <= 2 for i in all_ids)
        assert sum(scheduled_events.values()) <= len(all_ids) + ROUNDS


def test_two_session_generators_at_once_number_each_session_once(
    shared_app, make_user, make_centre
):
    with shared_app.app_context():
        people = setup_board(make_user, make_centre)
        board = people["board"]
        clock = shared_app.extensions["telemed.clock"]
        clock.advance(timedelta(weeks=3))

        def generate(barrier: threading.Barrier) -> int:
            barrier.wait()
            with unit_of_work():
                return generate_sessions()

        results = together(shared_app, generate, generate)
        assert all(isinstance(r, int) for r in results) and sum(results) == 3, results
        db.session.expire_all()
        sessions = sessions_of(board)
        assert [s.number for s in sessions] == list(range(1, 12))
        assert len({s.occurrence_key for s in sessions}) == 11


@pytest.mark.parametrize("existing", [False, True])
def test_only_one_scheduler_takes_the_lease(shared_app, existing):
    with shared_app.app_context():
        ttl = timedelta(seconds=45)
        if existing:  # an expired lease row from a scheduler that died
            with unit_of_work():
                assert lease.try_acquire("dead", ttl)
            shared_app.extensions["telemed.clock"].advance(ttl)

        def contender(name: str) -> Callable[[threading.Barrier], bool]:
            def job(barrier: threading.Barrier) -> bool:
                barrier.wait()
                with unit_of_work():  # as the scheduler's lease loop does
                    return lease.try_acquire(name, ttl)

            return job

        names = [f"scheduler-{n}" for n in range(4)]
        results = together(shared_app, *(contender(name) for name in names))
        assert sorted(results) == [False, False, False, True], results
        winner = names[results.index(True)]
        assert lease.holds(winner)
        assert [name for name in names if lease.holds(name)] == [winner]
