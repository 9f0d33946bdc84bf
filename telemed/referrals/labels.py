"""Human labels for referrals."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from telemed.referrals.models import ReferralStatus, TransplantType

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
