"""A simulation on a database of its own, beside the test app's (which it must not touch),
and the cases of hand-made scenarios."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask

from telemed.cases.models import Sex, Urgency
from telemed.core.vocabulary import RequestKind, Specialty
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


ZONE = ZoneInfo("America/Mexico_City")


def arrival(day: date, hour: int, urgency: Urgency) -> Arrival:
    return Arrival(
        at=datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).astimezone(UTC),
        centre_code="OC-BC-TIJ", specialty=Specialty.SOLID_TUMOURS,
        request_kind=RequestKind.TREATMENT_PLAN, urgency=urgency, icd10="C64",
        diagnosis="Tumor de Wilms", age_years=4, sex=Sex.FEMALE,
        accept_after=timedelta(hours=1), incomplete=False, uploads_late=True,
        upload_after=timedelta(hours=1),
    )  # fmt: skip
