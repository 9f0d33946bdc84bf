"""``flask demo generate``: plausible volumes, consistent records, and the database still
usable afterwards (explicit ids must not break the id sequences on PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, text

from telemed.agreements.models import Agreement
from telemed.boards.models import Board
from telemed.cases import service as case_service
from telemed.cases.models import Case, CaseStatus, Urgency
from telemed.core import versions
from telemed.referrals.models import Referral
from telemed.room.models import Attendance, Recommendation
from telemed.sessions.models import AgendaItem, BoardSession, ItemOutcome, SessionStatus
from telemed.synthetic.generate import generate
from tests.conftest import case_payload, empty_tables, english

N = 300


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def count(db: Any, model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def counts(db: Any) -> dict[str, int]:
    models = (Case, BoardSession, AgendaItem, Attendance, Recommendation, Referral, Agreement)
    return {model.__tablename__: count(db, model) for model in models}


@pytest.fixture
def generated(runner: FlaskCliRunner) -> str:
    result = runner.invoke(args=["demo", "generate", "--cases", str(N)])
    assert result.exit_code == 0, result.output
    return result.output


def test_generate_fills_every_table_in_plausible_proportions(db, generated):
    assert "cases" in generated and "Done in" in generated
    rows = counts(db)
    assert rows["cases"] == N
    discussed = db.session.scalar(select(func.count()).where(Case.first_discussed_at.is_not(None)))
    assert discussed > 0.9 * N  # eight years back: nearly all were discussed long ago
    assert rows["recommendations"] == discussed
    assert 0.01 * discussed <= rows["referrals"] <= 0.15 * discussed
    assert 0.05 * discussed <= rows["agreements"] <= 0.25 * discussed
    # Weekly meetings over eight years (most nearly empty at this small N), 6-12 people each.
    held = db.session.scalar(select(func.count()).where(BoardSession.status == SessionStatus.HELD))
    assert held > 8 * 52
    assert 6 * held <= rows["attendances"] <= 40 * held
    cancelled = db.session.scalar(
        select(func.count()).where(BoardSession.status == SessionStatus.CANCELLED)
    )
    assert 0 < cancelled < 0.08 * rows["board_sessions"]
    urgent = db.session.scalar(select(func.count()).where(Case.urgency == Urgency.URGENT))
    assert 0.02 * N < urgent < 0.16 * N


def test_first_discussion_is_the_earliest_held_session_that_discussed_the_case(db, generated):
    earliest = (
        select(AgendaItem.case_id, func.min(BoardSession.starts_at).label("first"))
        .join(BoardSession, BoardSession.id == AgendaItem.session_id)
        .where(
            AgendaItem.outcome == ItemOutcome.DISCUSSED, BoardSession.status == SessionStatus.HELD
        )
        .group_by(AgendaItem.case_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Case.id, Case.first_discussed_at, earliest.c.first).outerjoin(
            earliest, earliest.c.case_id == Case.id
        )
    ).all()
    assert rows
    for case_id, first_discussed, first in rows:
        if first is None:
            assert first_discussed is None, case_id
        else:
            assert first_discussed is not None, case_id
            assert first_discussed.replace(tzinfo=None) == first.replace(tzinfo=None), case_id
    deferred = count(
        db, select(AgendaItem).where(AgendaItem.outcome == ItemOutcome.DEFERRED).subquery()
    )
    assert deferred > 0


def test_times_follow_each_other(db, generated):
    cases = db.session.scalars(select(Case)).all()
    for case in cases:
        if case.accepted_at is not None:
            assert case.accepted_at >= case.submitted_at
        if case.first_discussed_at is not None:
            assert case.first_discussed_at > case.accepted_at
        assert case.created_at <= case.submitted_at
    old = [c for c in cases if c.first_discussed_at and c.first_discussed_at.year < 2025]
    assert all(c.status in (CaseStatus.CLOSED, CaseStatus.RECOMMENDATION_ISSUED) for c in old)


def test_no_case_has_two_pending_entries_and_pending_only_in_future_sessions(db, generated):
    pending = db.session.execute(
        select(AgendaItem.case_id, func.count())
        .where(AgendaItem.outcome == ItemOutcome.PENDING)
        .group_by(AgendaItem.case_id)
    ).all()
    assert all(n == 1 for _case, n in pending)
    statuses = db.session.scalars(
        select(BoardSession.status)
        .join(AgendaItem, AgendaItem.session_id == BoardSession.id)
        .where(AgendaItem.outcome == ItemOutcome.PENDING)
    ).all()
    assert set(statuses) <= {SessionStatus.PLANNED}
    # Each session's booked count is its real number of pending entries.
    for session in db.session.scalars(
        select(BoardSession).where(BoardSession.status == SessionStatus.PLANNED)
    ):
        assert session.booked == len(session.pending_items)
        assert session.booked <= session.capacity or session.capacity == 0


def test_referrals_are_completed_exactly_when_they_have_a_completion_time(db, generated):
    referrals = db.session.scalars(select(Referral)).all()
    assert referrals
    for referral in referrals:
        assert (referral.status.value == "completed") == (referral.completed_at is not None)
        assert referral.board_id is not None


def test_patient_references_are_synthetic(db, generated):
    references = db.session.scalars(select(Case.patient_reference)).all()
    assert all(re.fullmatch(r"SYN-\d{7}", ref) for ref in references)
    assert len(set(references)) == N


def test_the_normal_service_still_creates_cases_and_sessions_afterwards(db, generated, make_user):
    from telemed.auth.models import Role, User

    referring = db.session.scalar(select(User).where(User.email == "referente@demo.telemed.mx"))
    case = case_service.create_case(referring, case_payload(), submit=True)
    assert case.id == db.session.scalar(select(func.max(Case.id)))
    assert count(db, Case) == N + 1
    # Sessions and agenda entries through the ORM too (their ids come from the sequences).
    board = db.session.scalars(select(Board)).first()
    from telemed.sessions.service import generate_sessions

    generate_sessions()
    session = db.session.scalars(
        select(BoardSession).where(BoardSession.board_id == board.id)
        .order_by(BoardSession.number.desc())
    ).first()  # fmt: skip
    assert board.next_session_number == session.number + 1
    other = make_user(Role.COORDINATOR)
    db.session.add(Attendance(session_id=session.id, user_id=other.id, name="X", role="guest"))
    db.session.commit()


def test_a_run_voids_every_remembered_answer(db, runner, generated):
    """Its rows go around the ORM: the figures' and the calendar feeds' versions rise."""
    before = {counter.name: counter.current() for counter in versions.COUNTERS}
    result = runner.invoke(args=["demo", "generate", "--cases", "20"])
    assert result.exit_code == 0, result.output
    after = {counter.name: counter.current() for counter in versions.COUNTERS}
    assert set(after) == {"figures", "calendars"}
    assert all(after[name] != before[name] for name in after), (before, after)


def test_same_seed_gives_the_same_data(app, db):
    first = generate(120, seed=7)
    before = counts(db)
    db.session.remove()
    empty_tables()
    second = generate(120, seed=7)
    assert counts(db) == before
    assert first.rows == second.rows


@pytest.mark.parametrize("bad", ["0", "-5", "1000001", "many"])
def test_a_bad_size_is_refused_and_nothing_is_written(db, runner, bad):
    with english():
        result = runner.invoke(args=["demo", "generate", "--cases", bad])
    assert result.exit_code == 2
    if bad != "many":
        assert "1 to 1,000,000" in result.output
    assert count(db, Case) == 0
    assert db.session.execute(text("SELECT count(*) FROM centres")).scalar() == 0


def test_an_interrupted_run_keeps_whole_chunks_and_the_next_run_appends(db, monkeypatch):
    from telemed.synthetic import generate as module

    original = module.Generator.chunk

    def crash_in_third_chunk(self: Any, first: int, last: int) -> None:
        if first >= 200:
            raise RuntimeError("power cut")
        original(self, first, last)

    monkeypatch.setattr(module.Generator, "chunk", crash_in_third_chunk)
    with pytest.raises(RuntimeError):
        generate(N, chunk=100)
    db.session.rollback()
    assert count(db, Case) == 200
    discussed = db.session.scalar(select(func.count()).where(Case.first_discussed_at.is_not(None)))
    assert count(db, Recommendation) == discussed
    orphans = db.session.scalar(
        select(func.count())
        .select_from(AgendaItem)
        .outerjoin(BoardSession, BoardSession.id == AgendaItem.session_id)
        .where(BoardSession.id.is_(None))
    )
    assert orphans == 0

    monkeypatch.setattr(module.Generator, "chunk", original)
    generate(100, chunk=100)
    assert count(db, Case) == 300


def test_if_empty_generates_once(db, runner, generated):
    """``make run`` asks for synthetic cases on every start; only the first one adds them."""
    before = counts(db)
    result = runner.invoke(args=["demo", "generate", "--cases", str(N), "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "nothing generated" in result.output
    assert counts(db) == before
    assert "rolled up" in generated  # the dashboard's months are ready after generating
