"""A simulation on a database of its own, beside the test app's (which it must not touch)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from telemed.simulation.arrivals import Arrival
from telemed.simulation.model import Parameters
from telemed.simulation.report import Report
from telemed.simulation.run import simulate
from telemed.simulation.sandbox import sandbox


@contextmanager
def simulated(
    live: Flask, params: Parameters, arrivals: list[Arrival] | None = None
) -> Iterator[tuple[Flask, Report]]:
    """Run ``params`` in a sandbox; its app (and database) stay open until the end of the
    block: a test reads it inside ``app.app_context()``."""
    with sandbox(live, None) as app:
        with app.app_context():
            report = simulate(params, arrivals)
        yield app, report
