"""Human labels for what the room records (attendance, recommendations, adherence)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from telemed.room.models import Adherence, AttendanceRole, RecommendationCategory

ATTENDANCE_ROLE_LABELS = {
    AttendanceRole.CHAIR: _l("Chair"),
    AttendanceRole.MEMBER: _l("Board member"),
    AttendanceRole.COORDINATOR: _l("Coordinator"),
    AttendanceRole.REFERRING: _l("Referring doctor"),
    AttendanceRole.GUEST: _l("Guest"),
}


RECOMMENDATION_CATEGORY_LABELS = {
    RecommendationCategory.CONFIRM_DIAGNOSIS: _l("Confirm diagnosis"),
    RecommendationCategory.REVISE_DIAGNOSIS: _l("Revise diagnosis"),
    RecommendationCategory.FURTHER_STUDIES: _l("Further studies"),
    RecommendationCategory.TREATMENT_PLAN: _l("Treatment plan"),
    RecommendationCategory.CONTINUE_TREATMENT: _l("Continue current treatment"),
    RecommendationCategory.PALLIATIVE_CARE: _l("Palliative care"),
    RecommendationCategory.REFERRAL: _l("Referral"),
    RecommendationCategory.OTHER: _l("Other"),
}


ADHERENCE_LABELS = {
    Adherence.YES: _l("Carried out"),
    Adherence.PARTLY: _l("Partly carried out"),
    Adherence.NO: _l("Not carried out"),
}
