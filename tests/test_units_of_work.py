"""One transaction per operation: what a coordinator does in one click happens whole or not
at all, however many services it takes and wherever it fails."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from telemed.audit.models import AuditEntry
from telemed.core.transaction import unit_of_work
from telemed.extensions import db
from telemed.outbox.models import OutboxMessage
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import BoardSession, SchedulingFlag
from telemed.sessions.service import close_due_agendas
from tests.conftest import client_for, committed
from tests.scenes.boards import fill, local, session_of, sessions_of


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def state() -> dict[str, int]:
    return {
        "sessions": count(BoardSession),
        "audit": count(AuditEntry),
        "emails": count(OutboxMessage),
    }


def test_an_extraordinary_session_for_a_flag_whose_agenda_closed_leaves_nothing_behind(
    app, board, accepted, coordinator, clock
):
    """The case's agenda closed after it was flagged: the one click is refused, and the new
    session it began is not left behind empty (it was, when each step committed)."""
    committed(fill(sessions_of(board)[0], accepted, coordinator))
    clock.set(local(2026, 3, 3, 10, 0))  # Tuesday
    urgent = accepted(urgency="urgent")
    committed(assign_cases())
    regular = session_of(urgent)
    assert regular is not None and regular.number == 2  # after the 72 hours: flagged
    flag = db.session.scalars(select(SchedulingFlag)).one()
    clock.set(regular.cutoff_at + timedelta(hours=1))
    committed(close_due_agendas())
    client = client_for(app, coordinator)
    before = state()

    response = client.post(f"/boards/flags/{flag.id}/extraordinary", follow_redirects=True)

    assert response.status_code == 200
    assert "The agenda of this session is closed." in response.get_data(as_text=True)
    db.session.expire_all()
    assert state() == before
    assert db.session.scalar(select(BoardSession).where(BoardSession.extraordinary)) is None
    assert session_of(urgent).id == regular.id


def test_a_move_whose_invitations_fail_moves_nothing(
    app, board, accepted, coordinator, monkeypatch
):
    """Moving a session releases its cases and re-sends its invitations in one transaction:
    when the invitations cannot be written, the session keeps its time and its cases."""
    case = accepted()
    committed(assign_cases())
    session = session_of(case)
    assert session is not None
    client = client_for(app, coordinator)
    starts_at, before = session.starts_at, state()

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the invitation could not be rendered")

    monkeypatch.setattr("telemed.invites.service.queue_message", broken)
    response = client.post(
        f"/sessions/{session.id}/move", data={"start_date": "2026-03-06", "start_time": "18:00"}
    )

    assert response.status_code == 500
    db.session.expire_all()
    assert state() == before
    assert db.session.get(BoardSession, session.id).starts_at == starts_at
    assert session_of(case).id == session.id


def test_a_job_that_fails_half_way_keeps_nothing_of_that_run(board, accepted, clock, monkeypatch):
    """A job run is one transaction: closing two agendas, the second failing, closes none."""
    for _ in range(2):
        accepted()
    committed(assign_cases())
    first = sessions_of(board)[0]
    clock.set(first.cutoff_at)
    before = state()
    calls = {"n": 0}

    def dies_on_the_second(session: BoardSession, user: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("mail template missing")

    monkeypatch.setattr("telemed.sessions.notices.agenda_closed", dies_on_the_second)
    with pytest.raises(RuntimeError), unit_of_work():
        close_due_agendas()

    db.session.expire_all()
    assert state() == before
    assert db.session.get(BoardSession, first.id).order_of_business is None
