"""What the report says beyond the figures: every option explained, no Alembic chatter, a
month the run covers in part labelled so, and each urgent case past 72 h with its reason."""

from __future__ import annotations

from datetime import date, timedelta

import click
import pytest
from flask import Flask

from telemed.cases.models import Urgency
from telemed.simulation.command import simulate_command
from telemed.simulation.model import Parameters
from telemed.simulation.report import text
from tests.simulation.conftest import arrival, simulated


def test_every_option_of_flask_simulate_says_what_it_means() -> None:
    unexplained = [
        param.name
        for param in simulate_command.params
        if isinstance(param, click.Option) and not (param.help or "").strip()
    ]
    assert unexplained == []
    seed = next(p for p in simulate_command.params if p.name == "seed")
    assert isinstance(seed, click.Option) and "same seed" in (seed.help or "")


def test_the_sandbox_migrates_without_alembics_info_lines(
    app: Flask, capfd: pytest.CaptureFixture[str]
) -> None:
    result = app.test_cli_runner().invoke(args=["simulate", "--days", "1",
                                                "--cases-per-year", "0"])  # fmt: skip
    assert result.exit_code == 0, result.output
    out, err = capfd.readouterr()
    shown = result.output + out + err
    assert "Simulated 2026-01-05 to 2026-01-05" in shown
    assert "Running upgrade" not in shown and "alembic" not in shown


WEDNESDAY = date(2026, 3, 11)
# No extraordinary sessions, and every case on a FULL agenda left for lack of time: the one
# urgent case (Wednesday, after Tuesday's cut-off) waits for the Thursday after next.
NO_EXTRA = Parameters(start=date(2026, 3, 9), days=14, extraordinary=False,
                      incomplete_share=0, defer_missing_material=0, defer_no_time=1.0,
                      defer_other=0)  # fmt: skip


def test_an_urgent_case_past_72_hours_is_named_with_its_reason(app: Flask) -> None:
    cases = [arrival(WEDNESDAY, 10, Urgency.URGENT), arrival(WEDNESDAY, 11, Urgency.ROUTINE)]
    with simulated(app, NO_EXTRA, cases) as (_sim, report):
        pass
    assert [(late.code, late.main) for late in report.late] == [
        ("CE-0001", "flagged, but no extraordinary session was opened")
    ]
    assert report.late[0].hours == 8 * 24 + 8  # Wednesday 10:00 to the next Thursday 18:00
    # Two cases on a meeting with room for nine: nobody runs out of time.
    assert report.network["deferred_no_time"] == 0 and report.network["examined"] == 2
    shown = text(report)
    assert "Urgent cases past 72 h: 1" in shown and "By main reason:" in shown
    # 9 to 22 March: the month is covered in part, and says so.
    assert [label for label, _ in report.months] == ["2026-03 (partial: 9-22)"]
    assert NO_EXTRA.end == date(2026, 3, 9) + timedelta(days=13)
