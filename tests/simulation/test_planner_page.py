"""The capacity planner's page: a coordinator queues a run, the scheduler's job runs it on
sandbox databases and the page shows the result; doctors are kept out; bad input is said
beside its field and queues nothing; a claim whose worker died is taken over."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from telemed.auth.models import User
from telemed.cases.models import Case
from telemed.core.clock import now_utc
from telemed.core.transaction import unit_of_work
from telemed.extensions import db
from telemed.simulation import plans
from telemed.simulation.models import CapacityPlan, PlanStatus
from tests.conftest import client_for, committed, login

FORM = {"board": "Comité de tumores sólidos", "sessions_per_week": "1", "minutes_per_case": "10",
        "session_minutes": "90", "cases_per_year": "600", "weeks": "1"}  # fmt: skip


def queued() -> int:
    return db.session.scalar(select(func.count()).select_from(CapacityPlan)) or 0


def test_a_coordinator_queues_a_plan_the_job_runs_it_and_the_page_shows_the_answer(
    app: Flask, coordinator: User
) -> None:
    browser = client_for(app, coordinator)
    form = browser.get("/reports/planner/")
    assert form.status_code == 200 and 'id="planner-form"' in form.get_data(as_text=True)
    sent = browser.post("/reports/planner/", data=FORM)
    assert sent.status_code == 302, sent.get_data(as_text=True)
    waiting = browser.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Queued" in waiting and "plan-points" not in waiting

    with unit_of_work():
        assert plans.run_capacity_plans() == 1
    with unit_of_work():
        assert plans.run_capacity_plans() == 0  # nothing else waits

    page = browser.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Finished" in page and 'id="plan-points"' in page and "<svg" in page
    assert "At 600 cases a year" in page  # the answer, or "none in the range", is said
    plan = db.session.scalar(select(CapacityPlan))
    assert plan is not None and plan.result is not None and len(plan.result["points"]) == 1
    assert plan.result["days"] == 7
    # The simulated cases stayed in the sandbox.
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    assert queued() == 1


def test_the_planner_is_for_coordinators_and_administrators_only(
    app: Flask, referring: User, admin: User
) -> None:
    doctor = client_for(app, referring)
    assert doctor.get("/reports/planner/").status_code == 403
    assert doctor.post("/reports/planner/", data=FORM).status_code == 403
    assert queued() == 0
    spanish = app.test_client()
    login(spanish, admin)
    page = spanish.get("/reports/planner/").get_data(as_text=True)
    assert "Planificador de capacidad" in page
    assert "Planificador de capacidad" in spanish.get("/reports/overview").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"board": "Comité de dermatología", "sessions_per_week": "0, 7",
          "minutes_per_case": "diez", "weeks": "60"},
         ["board", "sessions_per_week", "minutes_per_case", "weeks"]),
        ({"sessions_per_week": "1-5", "minutes_per_case": "10, 15",
          "session_minutes": "60, 90, 120"}, ["sessions_per_week"]),
    ],
)  # fmt: skip
def test_bad_input_is_said_beside_its_field_and_queues_nothing(
    app: Flask, coordinator: User, changes: dict[str, str], fields: list[str]
) -> None:
    answer = client_for(app, coordinator).post("/reports/planner/", data={**FORM, **changes})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert [name for name in FORM if f'id="{name}-error"' in page] == fields
    assert 'value="diez"' in page or "diez" not in changes.values()  # what was typed is kept
    assert queued() == 0


def plan_row(user: User, **values: Any) -> CapacityPlan:
    grid = plans.grid_of(plans.PlanSchema().load(FORM))
    plan = CapacityPlan(board=grid.board, grid=grid.as_json(), requested_by_id=user.id,
                        created_at=now_utc(), **values)  # fmt: skip
    db.session.add(plan)
    return committed(plan)


def test_the_job_takes_over_a_claim_whose_worker_died_and_leaves_a_live_one_alone(
    coordinator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = plan_row(coordinator, status=PlanStatus.RUNNING, claim_token="dead", attempts=1,
                    lease_until=now_utc() - timedelta(minutes=1))  # fmt: skip
    alive = plan_row(coordinator, status=PlanStatus.RUNNING, claim_token="alive", attempts=1,
                     lease_until=now_utc() + timedelta(minutes=30))  # fmt: skip
    ran: list[str] = []

    def quick_sweep(_live: Flask, grid: Any) -> dict[str, Any]:
        ran.append(grid.board)
        return {"points": [], "smallest": {}, "days": 7, "start": "2026-01-05", "seed": 1,
                "grid": grid.as_json()}  # fmt: skip

    monkeypatch.setattr(plans.planner, "sweep", quick_sweep)
    with unit_of_work():
        assert plans.run_capacity_plans() == 1
    with unit_of_work():
        assert plans.run_capacity_plans() == 0  # the live claim is not taken
    db.session.expire_all()
    assert ran == ["Comité de tumores sólidos"]
    assert (dead.status, dead.attempts, dead.claim_token) == (PlanStatus.DONE, 2, None)
    assert dead.result is not None and dead.result["days"] == 7
    assert (alive.status, alive.claim_token) == (PlanStatus.RUNNING, "alive")
    # The dead worker, were it to wake up, can no longer write its result.
    with unit_of_work():
        assert plans.finish(dead.id, "dead", status=PlanStatus.FAILED) is False
    db.session.expire_all()
    assert dead.status is PlanStatus.DONE
