"""Human labels for referrals: statuses, transplant types and the steps each side takes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from telemed.reviews.models import ReferralStatus, TransplantType

REFERRAL_STATUS_LABELS = {
    ReferralStatus.PROPOSED: _l("proposed"),
    ReferralStatus.SENT: _l("sent"),
    ReferralStatus.ACCEPTED: _l("accepted"),
    ReferralStatus.DECLINED: _l("declined"),
    ReferralStatus.UNDER_EVALUATION: _l("under evaluation / protocol"),
    ReferralStatus.SCHEDULED: _l("scheduled"),
    ReferralStatus.COMPLETED: _l("completed"),
    ReferralStatus.CANCELLED: _l("cancelled"),
}
TRANSPLANT_LABELS = {
    TransplantType.HAPLOIDENTICAL: _l("Haploidentical"),
    TransplantType.RELATED_ALLOGENEIC: _l("Related allogeneic"),
    TransplantType.UNRELATED_ALLOGENEIC: _l("Unrelated allogeneic"),
    TransplantType.AUTOLOGOUS: _l("Autologous"),
}
