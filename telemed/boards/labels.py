"""Human labels for boards: kinds of session they hold, roles of their members."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from telemed.boards.models import DayOffPolicy, MemberRole, SessionKind

SESSION_KIND_LABELS = {
    SessionKind.CASE_REVIEW: _l("Case review"),
    SessionKind.TRAINING: _l("Training"),
    SessionKind.KEYNOTE: _l("Keynote lecture"),
}


MEMBER_ROLE_LABELS = {
    MemberRole.CHAIR: _l("Chair"),
    MemberRole.MEMBER: _l("Member"),
    MemberRole.GUEST: _l("Guest"),
}


DAY_OFF_POLICY_LABELS = {
    DayOffPolicy.SKIP: _l("Skip it"),
    DayOffPolicy.PREVIOUS: _l("Hold it on the previous working day"),
    DayOffPolicy.NEXT: _l("Hold it on the next working day"),
}
