"""Human labels for the minutes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from telemed.minutes.models import MinutesStatus

MINUTES_STATUS_LABELS = {
    MinutesStatus.DRAFT: _l("draft"),
    MinutesStatus.FINAL: _l("final"),
}
