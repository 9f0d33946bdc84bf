"""Emails between the two sides of a referral: codes, centres, status and a link only,
never the case's clinical text (the receiving centre reads the summary on the page)."""

from __future__ import annotations

from sqlalchemy import select

from telemed.auth.models import Role, User
from telemed.extensions import db
from telemed.outbox.notify import notify
from telemed.referrals.labels import REFERRAL_STATUS_LABELS
from telemed.referrals.models import Referral, ReferralStatus


def was_sent(referral: Referral) -> bool:
    """The receiving centre hears of a referral only once it was sent."""
    return any(step.to_status == ReferralStatus.SENT.value for step in referral.steps)


def receiving_doctors(referral: Referral) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.role == Role.REFERRING,
                User.centre_id == referral.to_centre_id,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def to_receiving_centre(actor: User, referral: Referral, *, note: bool = False) -> None:
    """News from the sending side, for the receiving centre's doctors (once it was sent)."""
    if was_sent(referral):
        send(actor, referral, receiving_doctors(referral), note=note)


def to_referring_doctor(actor: User, referral: Referral, *, note: bool = False) -> None:
    """News from the receiving side, for the doctor who sent the case."""
    doctor = referral.case.submitted_by
    send(actor, referral, [doctor] if doctor.active else [], note=note)


def send(actor: User, referral: Referral, recipients: list[User], *, note: bool) -> None:
    step_id = referral.steps[-1].id if referral.steps else 0
    for user in recipients:
        if user.id == actor.id:
            continue
        notify(
            "referral",
            user,
            f"referral:{referral.id}:{step_id}:{user.id}",
            referral=referral,
            status=REFERRAL_STATUS_LABELS[referral.status],
            note=note,
            newly_sent=referral.status is ReferralStatus.SENT,
        )
