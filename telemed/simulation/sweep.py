"""The capacity planner: one board simulated over a grid of capacities and arrival rates,
each point on a sandbox database of its own (copied from one migrated schema), and the
smallest configuration (least board-hours a week) that keeps the network's promise.

The result is plain JSON (the page stores it as it is): the grid, one row per point, and
per arrival rate the index of the smallest point meeting every target, or ``None``."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from telemed.simulation.arrivals import Arrival
from telemed.simulation.model import Parameters
from telemed.simulation.network import board_named
from telemed.simulation.report import DEFERRED_LIMIT, ROUTINE_MEDIAN_DAYS, URGENT_TARGET
from telemed.simulation.run import simulate
from telemed.simulation.sandbox import migrated_schema, sandbox

DEFAULT_BOARD = "Comité de tumores sólidos"
# Small enough for a few minutes on a shared machine: 8 points of 13 weeks each.
DEFAULT_SESSIONS = (1, 2)
DEFAULT_MINUTES_PER_CASE = (10, 15)
DEFAULT_SESSION_MINUTES = (60, 90)
DEFAULT_RATES = (600.0,)
DEFAULT_WEEKS = 13
MAX_POINTS = 24  # a run the scheduler can finish within its lease
TARGETS = ("urgent", "routine", "deferred")


@dataclass(frozen=True)
class Grid:
    """What a sweep tries: every combination of the four ranges, ``weeks`` each."""

    board: str = DEFAULT_BOARD
    sessions_per_week: tuple[int, ...] = DEFAULT_SESSIONS
    minutes_per_case: tuple[int, ...] = DEFAULT_MINUTES_PER_CASE
    session_minutes: tuple[int, ...] = DEFAULT_SESSION_MINUTES
    cases_per_year: tuple[float, ...] = DEFAULT_RATES
    weeks: int = DEFAULT_WEEKS

    def points(self) -> list[tuple[int, int, int, float]]:
        """(sessions a week, minutes a case, session minutes, cases a year), each once."""
        return list(itertools.product(
            sorted(set(self.sessions_per_week)), sorted(set(self.minutes_per_case)),
            sorted(set(self.session_minutes)), sorted(set(self.cases_per_year)),
        ))  # fmt: skip

    def check(self) -> None:
        """Refuse a grid the planner cannot run, naming the field."""
        board_named(self.board)
        for name in ("sessions_per_week", "minutes_per_case", "session_minutes", "cases_per_year"):
            if not getattr(self, name):
                raise ValueError(f"{name}: give at least one value")
        if len(self.points()) > MAX_POINTS:
            raise ValueError(f"at most {MAX_POINTS} combinations, not {len(self.points())}")
        if not 1 <= self.weeks <= 52:
            raise ValueError("weeks must be 1 to 52")

    def as_json(self) -> dict[str, Any]:
        return {"board": self.board, "sessions_per_week": list(self.sessions_per_week),
                "minutes_per_case": list(self.minutes_per_case),
                "session_minutes": list(self.session_minutes),
                "cases_per_year": list(self.cases_per_year), "weeks": self.weeks}  # fmt: skip


def missed(figures: dict[str, Any]) -> list[str]:
    """The targets a point's figures miss (a figure nothing measured counts as missed)."""
    urgent, median = figures["urgent_72h_share"], figures["routine_median_days"]
    deferred = figures["deferred_any_share"]
    checks = {
        "urgent": urgent is not None and urgent >= URGENT_TARGET,
        "routine": median is not None and median < ROUTINE_MEDIAN_DAYS,
        "deferred": deferred is not None and deferred < DEFERRED_LIMIT,
    }
    return [name for name in TARGETS if not checks[name]]


def point_row(capacity: tuple[int, int, int, float], figures: dict[str, Any]) -> dict[str, Any]:
    sessions, per_case, length, rate = capacity
    return {
        "sessions_per_week": sessions, "minutes_per_case": per_case, "session_minutes": length,
        "cases_per_year": rate, "board_hours": round(sessions * length / 60, 2),
        "places_per_week": sessions * (length // per_case),
        "submitted": figures["submitted"], "urgent_72h_share": figures["urgent_72h_share"],
        "urgent_counted": figures["urgent_counted"],
        "routine_median_days": figures["routine_median_days"],
        "deferred_any_share": figures["deferred_any_share"],
        "agenda_use": figures["agenda_use"],
        "extraordinary_sessions": figures["extraordinary_sessions"],
        "missed": missed(figures),
    }  # fmt: skip


def smallest(points: list[dict[str, Any]]) -> dict[str, int | None]:
    """Per arrival rate, the index of the point meeting every target with the fewest
    board-hours a week (then fewer meetings, then more minutes for each case)."""
    best: dict[str, int | None] = {}
    for rate in sorted({p["cases_per_year"] for p in points}):
        meeting = [
            i for i, p in enumerate(points) if p["cases_per_year"] == rate and not p["missed"]
        ]
        meeting.sort(key=lambda i: (points[i]["board_hours"], points[i]["sessions_per_week"],
                                    -points[i]["minutes_per_case"]))  # fmt: skip
        best[f"{rate:g}"] = meeting[0] if meeting else None
    return best


def sweep(
    live: Flask,
    grid: Grid,
    base: Parameters | None = None,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
    arrivals: list[Arrival] | None = None,
) -> dict[str, Any]:
    """Run every point of ``grid`` (the other parameters from ``base``: the same seed and
    start for all; ``arrivals`` instead of drawn ones) and return the result as JSON.
    Never touches ``live``'s database."""
    grid.check()
    board = board_named(grid.board)
    params = (base or Parameters()).with_values(board=board, days=grid.weeks * 7)
    points: list[dict[str, Any]] = []
    capacities = grid.points()
    with migrated_schema(live) as schema:
        for n, capacity in enumerate(capacities, start=1):
            sessions, per_case, length, rate = capacity
            one = params.with_values(sessions_per_week=sessions, minutes_per_case=per_case,
                                     session_minutes=length, cases_per_year=rate)  # fmt: skip
            with sandbox(live, None, schema) as app, app.app_context():
                report = simulate(one, arrivals)
            points.append(point_row(capacity, report.network))
            if progress is not None:
                progress(n, len(capacities), points[-1])
    return {
        "grid": {**grid.as_json(), "board": board}, "seed": params.seed,
        "start": params.start.isoformat(), "days": params.days, "points": points,
        "smallest": smallest(points),
    }  # fmt: skip


def parse_values(text: str, kind: type[int] | type[float] = int) -> tuple[Any, ...]:
    """``"1,2,3"`` or ``"1-3"`` (whole numbers) as a tuple; a ``ValueError`` when not."""
    values: list[Any] = []
    for part in (p.strip() for p in text.split(",")):
        low, dash, high = part.partition("-")
        if dash and kind is int and low.strip() and high.strip():
            first, last = int(low), int(high)
            if last < first or last - first > 100:
                raise ValueError(f"bad range {part!r}")
            values.extend(range(first, last + 1))
        elif part:
            values.append(kind(part))
    if not values:
        raise ValueError("give at least one value")
    return tuple(values)
