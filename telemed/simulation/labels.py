"""Translated names of the planner's values (statuses, targets), for its pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from telemed.simulation.models import PlanStatus

PLAN_STATUS_LABELS = {
    PlanStatus.QUEUED: _l("Queued"),
    PlanStatus.RUNNING: _l("Running"),
    PlanStatus.DONE: _l("Finished"),
    PlanStatus.FAILED: _l("Failed"),
}
TARGET_LABELS = {
    "urgent": _l("every urgent case within 72 h"),
    "routine": _l("median routine wait under 7 days"),
    "deferred": _l("under 5 per cent deferred"),
}
# The result table's columns (``%`` in a template's gettext would be read as formatting).
POINT_COLUMNS = (
    ("cases_per_year", _l("Cases a year")),
    ("sessions_per_week", _l("Sessions a week")),
    ("session_minutes", _l("Session length (minutes)")),
    ("minutes_per_case", _l("Minutes per case")),
    ("board_hours", _l("Board-hours a week")),
    ("submitted", _l("Cases")),
    ("urgent_72h_share", _l("Urgent within 72 h (%)")),
    ("routine_median_days", _l("Median routine wait (days)")),
    ("deferred_any_share", _l("Deferred (%)")),
    ("extraordinary_sessions", _l("Extraordinary sessions")),
)
