"""The scheduler's fixtures: real schedulers that never fire by themselves, and runners."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

import scheduler.runner
from scheduler.runner import Runner
from telemed.extensions import db


@pytest.fixture
def paused_schedulers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real schedulers (database job store, job defaults) that never fire a job by themselves."""
    original = scheduler.runner.build_scheduler

    def build(app: Flask) -> Any:
        built = original(app)
        start = built.start
        built.start = lambda *args, **kwargs: start(*args, paused=True, **kwargs)
        return built

    monkeypatch.setattr(scheduler.runner, "build_scheduler", build)


@pytest.fixture
def runners(app: Flask, paused_schedulers: None) -> Iterator[Callable[[str], Runner]]:
    made: list[Runner] = []

    def make(holder: str) -> Runner:
        runner = Runner(app, holder=holder)
        made.append(runner)
        return runner

    yield make
    for runner in made:
        runner.stop_jobs()
    with db.engine.begin() as connection:  # the job store's table is APScheduler's, not ours
        connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
