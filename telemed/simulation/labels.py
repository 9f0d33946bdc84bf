"""Translated names of the planner's values (statuses, targets), for its pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from telemed.simulation.models import PlanStatus

PLAN_STATUS_LABELS = {
    PlanStatus.QUEUED: _l("Queued"),
    PlanStatus.RUNNING: _l("Running"),
    PlanStatus.DONE: _l("Done"),
    PlanStatus.FAILED: _l("Failed"),
}
TARGET_LABELS = {
    "urgent": _l("every urgent case within 72 h"),
    "routine": _l("median routine wait under 7 days"),
    "deferred": _l("under 5 per cent deferred"),
}
