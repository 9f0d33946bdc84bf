"""The capacity planner on a fortnight worked out by hand: two routine cases sent on a
Monday, an urgent one on Wednesday morning and four routine ones that evening (after the
extraordinary session called for the urgent one has met, and after Tuesday night's cut-off
for Thursday), to a board whose agenda closes two days before its meeting, ten minutes a
case.

- 1 meeting a week (Thursday), 30 or 40 minutes: Thursday takes Monday's two (3.3 days);
  Wednesday's wait for next Thursday (almost 8 days), the median routine wait. Missed.
- 2 meetings a week (Tuesday and Thursday), 30 minutes (1 board-hour): next Tuesday takes
  three of Wednesday's (about 6 days; its agenda closed on Sunday night), so the median is
  about 6 days. Met; 40 minutes meets too, with more hours.
Every urgent case goes to an extraordinary session on Wednesday evening. So the smallest
sufficient configuration is two 30-minute meetings a week."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask
from sqlalchemy import func, select

from telemed.cases.models import Case, Urgency
from telemed.extensions import db
from telemed.simulation import sweep_report
from telemed.simulation.model import Parameters
from telemed.simulation.sweep import Grid, sweep
from tests.simulation.conftest import arrival

MONDAY = date(2026, 3, 9)
QUIET = Parameters(start=MONDAY, incomplete_share=0, defer_missing_material=0,
                   defer_no_time=0, defer_other=0)  # fmt: skip
WEDNESDAY = MONDAY + timedelta(days=2)
ARRIVALS = [
    *(arrival(MONDAY, 9 + n, Urgency.ROUTINE) for n in range(2)),
    arrival(WEDNESDAY, 10, Urgency.URGENT),
    *(arrival(WEDNESDAY, 19 + n, Urgency.ROUTINE) for n in range(4)),
]
GRID = Grid(board="sólidos", sessions_per_week=(1, 2), minutes_per_case=(10,),
            session_minutes=(30, 40), cases_per_year=(600,), weeks=2)  # fmt: skip


def test_the_smallest_sufficient_configuration_of_a_fortnight_worked_out_by_hand(
    app: Flask,
) -> None:
    result = sweep(app, GRID, QUIET, arrivals=ARRIVALS)
    by_capacity = {(p["sessions_per_week"], p["session_minutes"]): p for p in result["points"]}
    assert {key: p["missed"] for key, p in by_capacity.items()} == {
        (1, 30): ["routine"], (1, 40): ["routine"], (2, 30): [], (2, 40): [],
    }  # fmt: skip
    assert 7.5 < by_capacity[(1, 40)]["routine_median_days"] < 8.1
    assert 5.5 < by_capacity[(2, 30)]["routine_median_days"] < 6.5
    assert all(p["urgent_72h_share"] == 100.0 and p["submitted"] == 7 for p in result["points"])
    (_rate, answer), *_ = sweep_report.answers(result)
    assert answer is not None and (answer["sessions_per_week"], answer["session_minutes"]) == (
        2, 30,
    )  # fmt: skip
    assert answer["board_hours"] == 1.0
    assert result["grid"]["board"] == "Comité de tumores sólidos"
    shown = sweep_report.text(result)
    assert "Smallest configuration meeting every target at 600 cases a year: 2 x 30 min" in shown
    assert "over 14 days" in shown and "seed 1" in shown
    assert sweep_report.csv_text(result).splitlines()[3].endswith(",yes")  # the 2 x 30 row
    page = sweep_report.html_page(result)
    assert page.count("<circle") == 4 and "<script" not in page and "style=" not in page
    # The live database saw none of it.
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_range_too_wide_or_an_unknown_board_is_refused_before_anything_runs() -> None:
    for grid, words in (
        (Grid(board="dermatología"), "board must name one of"),
        (Grid(sessions_per_week=(1, 2, 3, 4, 5), session_minutes=(60, 90, 120)), "at most 24"),
    ):
        try:
            grid.check()
        except ValueError as err:
            assert words in str(err)
        else:
            raise AssertionError(f"{grid} was accepted")
