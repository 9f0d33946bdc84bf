"""The simulator's parameters: one frozen value, every field with its documented default,
so a run is described (and repeated) by its parameters and seed alone."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from typing import Any

# The published scale of the network (DOMAIN.md): about 600 cases a year.
CASES_PER_YEAR = 600


def doc(default: Any, help_text: str) -> Any:
    """A field's default and its explanation: ``flask simulate --help`` shows the same text
    (one source for the model and its options)."""
    return field(default=default, metadata={"help": help_text})


@dataclass(frozen=True)
class Parameters:
    """What a run assumes. Times are hours of the simulated clock; shares are 0..1."""

    seed: int = doc(1, "Seed of the random draws: the same seed gives the same run.")
    start: date = doc(date(2026, 1, 5), "The first day simulated (a Monday).")
    days: int = doc(364, "How many days are simulated (364: 52 weeks).")
    board: str | None = doc(None, "Only this board's cases and capacity (its name, or a "
                            "unique part of it); default: every board.")  # fmt: skip
    # --- arrivals -------------------------------------------------------------------
    cases_per_year: float = doc(
        CASES_PER_YEAR,
        "Cases the whole network sends in a year, at "
        "the year's average rate (published scale: about 600).",
    )
    urgent_share: float = doc(0.12, "Share of urgent cases (the network reports 10-15 %).")
    priority_share: float = doc(0.15, "Share of priority cases.")
    growth: float = doc(0.30, "How much the rate at the run's end is above its start.")
    december_dip: float = doc(0.55, "December's rate relative to an ordinary month.")
    july_dip: float = doc(0.75, "July's rate relative to an ordinary month (school holidays).")
    weekend_rate: float = doc(0.10, "A weekend day's rate relative to a working day.")
    # --- the referring doctors ------------------------------------------------------
    incomplete_share: float = doc(0.30, "Share of cases sent without some of the material "
                                  "the board requires.")  # fmt: skip
    late_upload_share: float = doc(0.80, "Of the doctors told material is missing, the share "
                                   "who upload it afterwards.")  # fmt: skip
    late_upload_hours: float = doc(30.0, "Mean hours from being told to the upload.")
    # --- the coordinators -----------------------------------------------------------
    accept_hours: float = doc(8.0, "Mean working hours to accept a routine case.")
    accept_urgent_hours: float = doc(3.0, "Mean working hours to accept an urgent case.")
    extraordinary: bool = doc(True, "The coordinator opens an extraordinary session for an "
                              "urgent case flagged as not discussable within 72 h.")  # fmt: skip
    react_hours: float = doc(2.0, "Hours from that flag to the coordinator's action.")
    # --- the meeting ----------------------------------------------------------------
    defer_missing_material: float = doc(0.90, "Chance a case still lacking material at its "
                                        "meeting is deferred.")  # fmt: skip
    defer_no_time: float = doc(
        0.03,
        "Chance a case on a full agenda is deferred for lack "
        "of time (a meeting with room to spare never runs out).",
    )
    defer_other: float = doc(0.02, "Chance a case is deferred for another reason.")
    # --- capacity (None: each board's own setting) ----------------------------------
    sessions_per_week: int | None = doc(None, "Case-review meetings a week (1-5); default: "
                                        "each board's own rule.")  # fmt: skip
    minutes_per_case: int | None = doc(None, "Minutes the meeting gives each case; default: "
                                       "each board's own setting.")  # fmt: skip
    session_minutes: int | None = doc(None, "Length of a meeting in minutes; default: each "
                                      "board's own setting.")  # fmt: skip
    # --- speed ----------------------------------------------------------------------
    skip_email: bool = doc(True, "Skip the invitation and email delivery jobs (never the "
                           "scheduling ones).")  # fmt: skip

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
        if self.board is not None and not self.board.strip():
            raise ValueError("board must not be empty")
        for name in ("minutes_per_case", "session_minutes"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be positive")


def describe(params: Parameters) -> list[tuple[str, Any]]:
    """Every parameter and its value, for the report's header and CSV."""
    return [(f.name, getattr(params, f.name)) for f in fields(params)]
