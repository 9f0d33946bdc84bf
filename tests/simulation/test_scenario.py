"""A week worked out by hand: a board with room for three cases, four routine cases sent on
Monday and an urgent one on Wednesday, after Tuesday's cut-off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from telemed.auth import tokens
from telemed.auth.models import Role, User
from telemed.cases.models import Case, Urgency
from telemed.core.transaction import unit_of_work
from telemed.extensions import db
from telemed.sessions.models import AgendaItem, BoardSession, ItemOutcome
from telemed.simulation.model import Parameters
from telemed.simulation.report import Report
from tests.simulation.conftest import ZONE, arrival, simulated

MONDAY = date(2026, 3, 9)
# 30-minute meetings of 10 minutes a case: three places; nobody defers, nothing is missing.
PARAMS = Parameters(
    start=MONDAY, days=14, session_minutes=30, minutes_per_case=10, incomplete_share=0,
    defer_missing_material=0, defer_no_time=0, defer_other=0, react_hours=2,
)  # fmt: skip


ARRIVALS = [
    *(arrival(MONDAY, 10 + n, Urgency.ROUTINE) for n in range(4)),
    arrival(MONDAY + timedelta(days=2), 10, Urgency.URGENT),
]


@pytest.fixture(scope="module")
def week(app: Flask) -> Iterator[tuple[Flask, Report]]:
    """The two weeks simulated once for the module (the sandbox's app and its report)."""
    with simulated(app, PARAMS, ARRIVALS) as run:
        yield run


def discussions() -> list[tuple[str, datetime, bool]]:
    """(urgency, local start, extraordinary) of each case's discussion, in order sent."""
    rows = db.session.execute(
        select(Case.urgency, BoardSession.starts_at, BoardSession.extraordinary)
        .join(AgendaItem, AgendaItem.case_id == Case.id)
        .join(BoardSession, BoardSession.id == AgendaItem.session_id)
        .where(AgendaItem.outcome == ItemOutcome.DISCUSSED)
        .order_by(Case.submitted_at)
    ).all()
    return [(u.value, start.astimezone(ZONE).replace(tzinfo=None), extra)
            for u, start, extra in rows]  # fmt: skip


def test_three_places_four_routine_cases_and_an_urgent_one_after_the_cut_off(
    week: tuple[Flask, Report],
) -> None:
    sim, report = week
    with sim.app_context():
        thursday, next_thursday = datetime(2026, 3, 12, 18), datetime(2026, 3, 19, 18)
        assert discussions() == [
            ("routine", thursday, False),  # Monday's first three fill Thursday's agenda
            ("routine", thursday, False),
            ("routine", thursday, False),
            ("routine", next_thursday, False),  # the fourth waits a week
            # Thursday's agenda closed on Tuesday night and next Thursday is past 72 h: the
            # coordinator calls the board on Wednesday evening.
            ("urgent", datetime(2026, 3, 11, 18), True),
        ]
        network = report.network
        assert network["urgent_72h_share"] == 100.0
        assert network["extraordinary_sessions"] == 1
        assert network["submitted"] == 5 and network["examined"] == 5
        # Sent on Monday at 13:00, discussed ten days and five hours later: Thursday was full.
        longest = report.longest
        assert longest is not None and (longest.code, longest.days) == ("CE-0004", 10.2)
        assert any(reason.startswith("capacity") for reason in longest.reasons)


def stats(sim: Flask, first: date, last: date) -> dict[str, object]:
    """``/api/v1/stats`` of the simulated database, asked by its administrator."""
    with unit_of_work():
        admin = db.session.scalar(select(User).where(User.role == Role.ADMIN))
        assert admin is not None
        _token, secret = tokens.create_token(admin, "simulation test")
    answer = sim.test_client().get(
        f"/api/v1/stats?period=custom&from={first}&to={last}",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    views: dict[str, object] = answer.get_json()["views"]
    return views


def test_the_report_shows_the_dashboards_figures_for_the_same_period(
    week: tuple[Flask, Report],
) -> None:
    sim, report = week
    with sim.app_context():
        views = stats(sim, PARAMS.start, PARAMS.end)
        figures = {key: f["value"] for view in views.values() for key, f in view["figures"].items()}  # type: ignore[attr-defined]
        network = report.network
        for key in ("submitted", "accepted", "examined", "urgent_72h_share",
                    "discussion_median_days", "discussion_p90_days", "agenda_use"):  # fmt: skip
            assert network[key] == figures[key], key
        assert network["sessions_held"] == figures["case_review_sessions"]
        assert figures["examined"] == 5
