"""The missing-material flag works in bulk (issue 15): a few statements per chunk of agenda
entries rather than several per case, one commit per chunk, and a stopping scheduler ends
it between two chunks with whole chunks kept (the next run flags the rest, each once)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from scheduler import jobs
from telemed.boards.models import Board
from telemed.cases.models import Case
from telemed.extensions import db
from telemed.jobs import checkpoint, lease
from telemed.preparation import material
from telemed.sessions.assignment import assign_cases
from tests.conftest import committed
from tests.scenes.boards import emails
from tests.scenes.preparation import events_of


@pytest.fixture
def lacking(board: Board, accepted: Any) -> list[Case]:
    """Seven transplant evaluations on the first agenda, none with its immunophenotype."""
    board.required_material = {"transplant_evaluation": ["immunophenotype"]}
    cases = [accepted() for _ in range(7)]
    committed(assign_cases())
    return cases


@pytest.fixture
def outbox_inserts(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX_MESSAGES"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


def test_a_run_queues_its_emails_in_one_statement_per_chunk(lacking, outbox_inserts):
    assert material.flag_missing_material() == 7
    assert len(outbox_inserts) == 1  # was one per case
    assert len(emails("material_missing")) == 7
    assert all(len(events_of(case, "material_missing")) == 1 for case in lacking)


def test_a_stopping_scheduler_keeps_whole_chunks_and_the_next_run_flags_the_rest(
    app, lacking, monkeypatch
):
    monkeypatch.setattr(material, "FLAG_CHUNK", 3)
    jobs.bind(app, "x")
    committed(lease.try_acquire("x", timedelta(seconds=45)))
    halt = threading.Event()
    flag_chunk = material.flag_chunk

    def then_halt(*args: Any) -> int:
        flagged = flag_chunk(*args)
        halt.set()  # SIGTERM's grace period ran out during the first chunk
        return flagged

    monkeypatch.setattr(material, "flag_chunk", then_halt)
    with checkpoint.watching(halt, "x"):
        assert material.flag_missing_material() == 3
    db.session.rollback()  # the process ends: only what was committed remains
    assert len(emails("material_missing")) == 3

    monkeypatch.setattr(material, "flag_chunk", flag_chunk)
    assert material.flag_missing_material() == 4
    assert material.flag_missing_material() == 0
    assert len(emails("material_missing")) == 7
    assert sorted(len(events_of(case, "material_missing")) for case in lacking) == [1] * 7
