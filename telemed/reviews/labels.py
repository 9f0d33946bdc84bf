"""Human labels for what a session records, translated at render time (stored values are
the enums' values, so the room, minutes and certificates read in the viewer's language)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from telemed.reviews.models import (
    Adherence,
    AttendanceRole,
    MinutesStatus,
    RecommendationCategory,
    ReferralStatus,
    TransplantType,
)

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
TRANSPLANT_TYPE_LABELS = {
    TransplantType.HAPLOIDENTICAL: _l("Haploidentical"),
    TransplantType.RELATED_ALLOGENEIC: _l("Related allogeneic"),
    TransplantType.UNRELATED_ALLOGENEIC: _l("Unrelated allogeneic"),
    TransplantType.AUTOLOGOUS: _l("Autologous"),
}
REFERRAL_STATUS_LABELS = {
    ReferralStatus.PROPOSED: _l("proposed"),
    ReferralStatus.SENT: _l("sent"),
    # A referral (referencia) is feminine in Spanish, unlike a case: own context.
    ReferralStatus.ACCEPTED: lazy_pgettext("referral", "accepted"),
    ReferralStatus.DECLINED: _l("declined"),
    ReferralStatus.UNDER_EVALUATION: _l("under evaluation / protocol"),
    ReferralStatus.SCHEDULED: lazy_pgettext("referral", "scheduled"),
    ReferralStatus.COMPLETED: _l("completed"),
    ReferralStatus.CANCELLED: _l("cancelled"),
}
MINUTES_STATUS_LABELS = {
    MinutesStatus.DRAFT: _l("draft"),
    MinutesStatus.FINAL: _l("final"),
}
