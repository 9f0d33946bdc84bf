"""The simulator's parameters: one frozen value, every field with its documented default,
so a run is described (and repeated) by its parameters and seed alone."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from typing import Any

# The published scale of the network (DOMAIN.md): about 600 cases a year.
CASES_PER_YEAR = 600


@dataclass(frozen=True)
class Parameters:
    """What a run assumes. Times are hours of the simulated clock; shares are 0..1."""

    seed: int = 1
    start: date = date(2026, 1, 5)  # a Monday; the first day simulated
    days: int = 364  # how many days are simulated (52 weeks)
    # --- arrivals -------------------------------------------------------------------
    cases_per_year: float = CASES_PER_YEAR  # at the average rate of the year
    urgent_share: float = 0.12  # the network reports 10-15 % urgent
    priority_share: float = 0.15
    growth: float = 0.30  # the rate at the year's end is this much above its start
    december_dip: float = 0.55  # December's rate relative to an ordinary month
    july_dip: float = 0.75  # July's (school holidays)
    weekend_rate: float = 0.10  # a weekend day's rate relative to a working day
    # --- the referring doctors ------------------------------------------------------
    incomplete_share: float = 0.30  # sent without some of the material the board requires
    late_upload_share: float = 0.80  # of those flagged, the doctors who upload afterwards
    late_upload_hours: float = 30.0  # mean time from the flag to the upload
    # --- the coordinators -----------------------------------------------------------
    accept_hours: float = 8.0  # mean working time to accept a routine case
    accept_urgent_hours: float = 3.0  # ... an urgent one
    extraordinary: bool = True  # open an extraordinary session for a flagged urgent case
    react_hours: float = 2.0  # from the flag to the coordinator's extraordinary session
    # --- the meeting ----------------------------------------------------------------
    defer_missing_material: float = 0.90  # a case still lacking material is deferred
    defer_no_time: float = 0.03  # a case is left for lack of time
    defer_other: float = 0.02  # deferred for another reason
    # --- capacity (None: each board's own setting) ----------------------------------
    sessions_per_week: int | None = None  # case-review meetings a week (1-5)
    minutes_per_case: int | None = None
    session_minutes: int | None = None  # the length of a meeting
    # --- speed ----------------------------------------------------------------------
    skip_email: bool = True  # do not run the invitation and email delivery jobs

    @property
    def end(self) -> date:
        """The last day simulated."""
        return self.start + timedelta(days=self.days - 1)

    def with_values(self, **values: Any) -> Parameters:
        """A copy with the given fields changed (``None`` keeps the default)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    def check(self) -> None:
        """Refuse values the model cannot honour, naming the field."""
        shares = ("urgent_share", "priority_share", "incomplete_share", "late_upload_share",
                  "defer_missing_material", "defer_no_time", "defer_other")  # fmt: skip
        for name in shares:
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.urgent_share + self.priority_share > 1:
            raise ValueError("urgent_share + priority_share must not exceed 1")
        if self.days < 1 or self.cases_per_year < 0:
            raise ValueError("days must be positive and cases_per_year not negative")
        if self.sessions_per_week is not None and not 1 <= self.sessions_per_week <= 5:
            raise ValueError("sessions_per_week must be 1 to 5")
        for name in ("minutes_per_case", "session_minutes"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be positive")


def describe(params: Parameters) -> list[tuple[str, Any]]:
    """Every parameter and its value, for the report's header and CSV."""
    return [(field.name, getattr(params, field.name)) for field in fields(params)]
